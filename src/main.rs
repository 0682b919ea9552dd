fn main() -> std::process::ExitCode {
    minsheng::cli::main()
}
