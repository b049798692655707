//! Placeholder, replaced below.
fn main() {
    print!("{}", gc_uffd::Capabilities::get());
}
