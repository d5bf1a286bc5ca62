//! `custom-vouch`: stock Vouch with the Acme plugins. Every `vouch` command works
//! (`custom-vouch serve`, `custom-vouch worker`, `custom-vouch migrate`, …).

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match custom_vendor::builder().build() {
        Ok(app) => app.run_cli().await,
        Err(e) => {
            eprintln!("custom-vouch: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
