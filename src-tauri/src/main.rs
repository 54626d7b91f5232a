// No console window on Windows release builds; nothing else lives here.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() -> std::process::ExitCode {
    viban_desktop::main()
}
