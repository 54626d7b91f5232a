//! The WebKitGTK floor for `cargo xtask bench`: a Tauri window showing a near-empty page and nothing else — no tray,
//! no plugins, no server, no database. Its idle memory is what any Tauri app pays on the machine; the benchmark
//! sets viban's desktop total beside it.

fn main() {
    let result = tauri::Builder::default()
        .setup(|app| {
            // The app's own 272-byte boot page: a page must load for WebKit to start its web process.
            tauri::WebviewWindowBuilder::new(app, "floor", tauri::WebviewUrl::App("index.html".into()))
                .title("webkit floor")
                .inner_size(1280.0, 820.0)
                .build()?;
            Ok(())
        })
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("webkit-floor: {e}");
        std::process::exit(1);
    }
}
