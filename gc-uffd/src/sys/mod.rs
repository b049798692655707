//! The platform layer. `linux` issues the real system calls; `portable` stands in
//! everywhere else (and on Linux under `--cfg movegc_portable`, so CI checks it):
//! memory from the global allocator, every kernel-only interface "unsupported".

#[cfg(all(target_os = "linux", not(movegc_portable)))]
mod linux;
#[cfg(all(target_os = "linux", not(movegc_portable)))]
pub(crate) use linux::*;

#[cfg(not(all(target_os = "linux", not(movegc_portable))))]
mod portable;
#[cfg(not(all(target_os = "linux", not(movegc_portable))))]
pub(crate) use portable::*;
