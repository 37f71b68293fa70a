fn main() -> std::process::ExitCode {
    mcp_auth::run()
}
