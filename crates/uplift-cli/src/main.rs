//! The `uplift` binary.

fn main() -> std::process::ExitCode {
    uplift_cli::main()
}
