fn main() -> std::process::ExitCode {
    relc::cli::main()
}
