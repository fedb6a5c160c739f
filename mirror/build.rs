// `sqlx::migrate!` embeds ../migrations at compile time; without this, a migration added
// after the last build would be missing from binaries that still compiled (sqlx's docs).
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
