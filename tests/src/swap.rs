//! Swap for the tests and benches that show swapped-out pages staying out:
//! a swap file of their own, the kernel's swap-in count, and pushing pages
//! out.

use std::path::PathBuf;
use std::process::Command;

/// A swap file, enabled; disabled and removed when dropped (on a failing
/// test's unwinding too).
pub struct SwapFile(PathBuf);

impl SwapFile {
    /// Creates and enables a swap file of `bytes`, named for `name` and this
    /// process, or says why it cannot (not root, or a command refused).
    pub fn enable(name: &str, bytes: usize) -> Result<SwapFile, String> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            return Err("enabling a swap file needs root".into());
        }
        let path = std::env::temp_dir().join(format!("movegc-{name}-{}", std::process::id()));
        let run = |cmd: &mut Command| -> Result<(), String> {
            let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
            if out.status.success() {
                Ok(())
            } else {
                Err(format!(
                    "{cmd:?}: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                ))
            }
        };
        run(Command::new("fallocate")
            .arg("-l")
            .arg(bytes.to_string())
            .arg(&path))?;
        // From here on, dropping the guard removes the file.
        let swap = SwapFile(path);
        std::fs::set_permissions(&swap.0, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .map_err(|e| format!("chmod {}: {e}", swap.0.display()))?;
        run(Command::new("mkswap").arg(&swap.0))?;
        run(Command::new("swapon").arg(&swap.0))?;
        Ok(swap)
    }
}

impl Drop for SwapFile {
    fn drop(&mut self) {
        // Not enabled (a failed swapon) is fine: swapoff then fails, harmlessly.
        let _ = Command::new("swapoff").arg(&self.0).output();
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The kernel's count of pages read back from swap, system-wide
/// (`/proc/vmstat`), if it can be read.
pub fn pswpin() -> Option<u64> {
    std::fs::read_to_string("/proc/vmstat")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("pswpin "))
        .and_then(|n| n.trim().parse().ok())
}

/// Asks the kernel to reclaim (swap out) the pages of the `len` bytes at
/// `addr` (`MADV_PAGEOUT`); their contents do not change.
///
/// # Safety
/// `addr..addr + len` must be mapped memory of this process, page-aligned
/// at `addr`.
pub unsafe fn page_out(addr: usize, len: usize) -> std::io::Result<()> {
    // SAFETY: a mapped range, as the caller guarantees; MADV_PAGEOUT changes
    // no contents.
    let rc = unsafe { libc::madvise(addr as *mut libc::c_void, len, libc::MADV_PAGEOUT) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}
