//! `vouch`: the server binary and its management commands — stock Vouch, with the
//! built-in plugins only.

/// mimalloc rather than glibc's allocator: a request allocates and frees dozens of small
/// blocks on whichever worker thread polls it, and glibc's malloc and free were 16 % of a
/// cached status read's CPU (perf).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match server::App::builder().build() {
        Ok(app) => app.run_cli().await,
        Err(e) => {
            eprintln!("vouch: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
