//! `arca`: one binary for the server, envelope encryption, scanning and administration.
fn main() {
    println!("arca {}", env!("CARGO_PKG_VERSION"));
}
