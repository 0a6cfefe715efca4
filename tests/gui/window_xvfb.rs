//! Starts the real binary in a real window under Xvfb and checks that the
//! window shows the store: its title names the file (set once the store is
//! open) and a screenshot of the screen is not blank.
//!
//! Needs `Xvfb`, `xdotool` and ImageMagick's `import`; when one is missing
//! it reports `SKIPPED: …` (counted by `.ci/test.sh`) instead of running.
//! `PROCESS_WORKBENCH_RENDERER` (wgpu or glow) is passed through; by default
//! the app tries wgpu, then glow.

use crate::gui_support;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A child process, stopped when dropped so that a failing test leaves
/// nothing behind: first with SIGTERM, which lets Xvfb remove its lock file
/// and socket (a killed server leaves them, and those stale locks once used
/// up every display number the test tried), then killed if it has not ended
/// within 5 s.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.0.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|folder| folder.join(program).is_file())
    })
}

/// Starts Xvfb on a display it picks itself (`-displayfd`, which also clears
/// stale locks); returns the display name and the server once it answers.
fn start_xvfb() -> (String, Running) {
    let mut child = Command::new("Xvfb")
        .args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            "1280x800x24",
            "-nolisten",
            "tcp",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start Xvfb");
    let output = child.stdout.take().expect("Xvfb's output");
    let server = Running(child);
    // Xvfb writes the display number once it is ready, or ends without it.
    let mut number = String::new();
    BufReader::new(output)
        .read_line(&mut number)
        .expect("read Xvfb's display number");
    let number = number.trim();
    assert!(
        !number.is_empty() && number.chars().all(|c| c.is_ascii_digit()),
        "Xvfb gave no display number: {number:?}"
    );
    let display = format!(":{number}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while xdotool(&display, &["getdisplaygeometry"]).is_none() {
        assert!(
            Instant::now() < deadline,
            "Xvfb on {display} did not answer within 10 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (display, server)
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
        crate::common::report_skipped(
            "window_xvfb::the_binary_shows_a_store_in_a_window",
            &format!(
                "needs {} (apt-get install xvfb xdotool imagemagick)",
                missing.join(", ")
            ),
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
