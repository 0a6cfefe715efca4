//! Starts the real binary in a real window under Xvfb and checks that the
//! window shows the store: its title names the file (set once the store is
//! open) and a screenshot of the screen is not blank.
//!
//! Needs `Xvfb`, `xdotool` and ImageMagick's `import`; skips with a message
//! when they are missing. `PROCESS_WORKBENCH_RENDERER` (wgpu or glow) is
//! passed through; by default the app tries wgpu, then glow.

mod gui_support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Kills a child process when dropped, so that a failing test leaves nothing behind.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|folder| folder.join(program).is_file())
    })
}

/// Starts Xvfb on a free display; returns the display name and the server.
fn start_xvfb() -> (String, Running) {
    for number in 90..140 {
        if Path::new(&format!("/tmp/.X11-unix/X{number}")).exists()
            || Path::new(&format!("/tmp/.X{number}-lock")).exists()
        {
            continue;
        }
        let display = format!(":{number}");
        let server = Command::new("Xvfb")
            .args([
                display.as_str(),
                "-screen",
                "0",
                "1280x800x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start Xvfb");
        let mut server = Running(server);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            // The socket appears before the server answers: wait for an answer.
            if Path::new(&format!("/tmp/.X11-unix/X{number}")).exists()
                && xdotool(&display, &["getdisplaygeometry"]).is_some()
            {
                return (display, server);
            }
            if let Ok(Some(_)) = server.0.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        drop(server);
    }
    panic!("no display for Xvfb could be started");
}

fn xdotool(display: &str, args: &[&str]) -> Option<String> {
    let output = Command::new("xdotool")
        .args(args)
        .env("DISPLAY", display)
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
}

#[test]
fn the_binary_shows_a_store_in_a_window() {
    let missing: Vec<_> = ["Xvfb", "xdotool", "import"]
        .into_iter()
        .filter(|program| !on_path(program))
        .collect();
    if !missing.is_empty() {
        eprintln!(
            "skipped: the window test needs {} (apt-get install xvfb xdotool imagemagick)",
            missing.join(", ")
        );
        return;
    }
    let dir = tempfile::tempdir().expect("temporary folder");
    let store = dir.path().join("window-test.redb");
    let sample = gui_support::sample_store(&store);
    let home: PathBuf = dir.path().join("home");
    std::fs::create_dir_all(&home).expect("home folder");

    let (display, _server) = start_xvfb();
    let mut command = Command::new(env!("CARGO_BIN_EXE_process-workbench"));
    command
        .arg(&store)
        .env("DISPLAY", &display)
        .env_remove("WAYLAND_DISPLAY")
        .env("HOME", &home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut app = Running(command.spawn().expect("start the app"));

    // The title names the file once the store is open.
    let deadline = Instant::now() + Duration::from_secs(90);
    let window = loop {
        if let Some(found) = xdotool(&display, &["search", "--name", "window-test.redb"])
            && let Some(id) = found.lines().next()
        {
            break id.to_string();
        }
        if let Ok(Some(status)) = app.0.try_wait() {
            let mut stderr = String::new();
            if let Some(mut pipe) = app.0.stderr.take() {
                use std::io::Read;
                let _ = pipe.read_to_string(&mut stderr);
            }
            panic!("the app ended early with {status}: {stderr}");
        }
        assert!(
            Instant::now() < deadline,
            "no window titled with the store's name appeared within 90 s"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let title = xdotool(&display, &["getwindowname", &window]).unwrap_or_default();
    assert!(title.contains("read-only"), "title: {title}");
    assert!(title.contains("Process Workbench"), "title: {title}");

    // Let a few frames render, then look at the screen.
    std::thread::sleep(Duration::from_secs(2));
    let shot = dir.path().join("screen.png");
    let status = Command::new("import")
        .args(["-window", "root"])
        .arg(&shot)
        .env("DISPLAY", &display)
        .status()
        .expect("run import");
    assert!(status.success(), "import failed");
    let image = image::open(&shot).expect("read the screenshot").to_rgb8();
    let mut colours: Vec<[u8; 3]> = image.pixels().map(|pixel| pixel.0).collect();
    colours.sort_unstable();
    colours.dedup();
    assert!(
        colours.len() > 50,
        "the screen looks blank: {} colours for a window showing {} streams",
        colours.len(),
        sample.streams
    );
    if let Ok(keep) = std::env::var("PW_KEEP_WINDOW_SHOT") {
        let _ = std::fs::copy(&shot, keep);
    }
    drop(app);
}
