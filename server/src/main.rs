//! `vouch`: the server binary and its management commands — stock Vouch, with the
//! built-in plugins only.

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
