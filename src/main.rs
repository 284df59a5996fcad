//! The `ostatus-bridge` binary: everything lives in the library; see `ostatus_bridge::cli`.

fn main() -> std::process::ExitCode {
    ostatus_bridge::cli::main()
}
