//! `fake-agent`: a scripted stand-in for a coding-agent CLI, for tests that cannot reach a model. It behaves as
//! the real ones do in a PTY: colours and cursor movement, a question it waits for, files it edits, a grandchild,
//! a SIGTERM it may ignore, a flood of output, its environment, an exit code; `--tui` mimics the full-screen TUIs
//! that query the terminal (cursor position, device attributes) and draw nothing until both are answered. Its
//! arguments parse like a real CLI's (clap): `--` ends the options, so `fake-agent -- --write=x` takes `--write=x`
//! as its prompt, while `fake-agent --write=x` writes a file.

use std::io::{BufRead, Read, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use clap::Parser;

#[path = "fake_agent/mcp.rs"]
mod mcp;

#[derive(Parser, Debug)]
#[command(name = "fake-agent", version, about = "A scripted stand-in for a coding-agent CLI (tests only)")]
struct Args {
    /// The prompt, printed back as the agent's task.
    prompt: Option<String>,
    /// Ask this question and wait for a line of input; the answer is echoed.
    #[arg(long)]
    ask: Option<String>,
    /// Write FILE=CONTENT into the working directory (repeatable).
    #[arg(long = "write", value_name = "FILE=CONTENT")]
    writes: Vec<String>,
    /// Start a grandchild that sleeps (a helper that may outlive a careless stop).
    #[arg(long)]
    grandchild: bool,
    /// Keep running through SIGINT, SIGTERM and SIGHUP (only SIGKILL stops it then), like an agent busy in a tool.
    #[arg(long)]
    ignore_sigterm: bool,
    /// Start a helper in a session of its own that leaves the process group (as Codex's background daemon does).
    #[arg(long)]
    daemon: bool,
    /// Print this many MiB of coloured text as fast as possible.
    #[arg(long, value_name = "MIB")]
    flood: Option<u64>,
    /// Pace the flood at this many MiB per second (default: as fast as possible).
    #[arg(long, value_name = "MIB_PER_S")]
    rate: Option<u64>,
    /// Echo every byte typed, in raw mode, until `q` (a keystroke latency probe).
    #[arg(long)]
    echo: bool,
    /// Stay alive this long before exiting (milliseconds).
    #[arg(long, default_value_t = 0)]
    linger_ms: u64,
    /// Query the terminal like a full-screen TUI and wait for both answers before drawing.
    #[arg(long)]
    tui: bool,
    /// Print the whole environment, one `env: NAME=value` line each, sorted (what an agent can see).
    #[arg(long)]
    print_env: bool,
    /// Exit with this code.
    #[arg(long, default_value_t = 0)]
    exit: u8,
    /// Allocate and touch this many MiB, then say so (a memory limit kills the process before).
    #[arg(long, value_name = "MIB")]
    alloc_mib: Option<usize>,
    /// Try a TCP connection to HOST:PORT and say whether it worked (for network-off checks).
    #[arg(long, value_name = "HOST:PORT")]
    connect: Option<String>,
    /// Use the MCP server this run was given: read the own task, create a subtask of it.
    #[arg(long)]
    mcp: bool,
    /// With --mcp: also try to list this project's tasks (another project: it must not be visible).
    #[arg(long, value_name = "PROJECT")]
    mcp_other: Option<String>,
    /// Internal: the grandchild's role.
    #[arg(long, hide = true)]
    sleeper: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.sleeper {
        std::thread::sleep(Duration::from_secs(3600));
        return ExitCode::SUCCESS;
    }
    match run(&args) {
        Ok(()) => ExitCode::from(args.exit),
        Err(e) => {
            eprintln!("fake-agent: {e}");
            ExitCode::from(70)
        }
    }
}

fn run(args: &Args) -> std::io::Result<()> {
    let terminated = Arc::new(AtomicBool::new(false));
    if args.ignore_sigterm {
        // A registered handler replaces the default action (terminate): the signal is noted and ignored.
        for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT, signal_hook::consts::SIGHUP] {
            signal_hook::flag::register(sig, terminated.clone())?;
        }
    }
    let mut out = std::io::stdout().lock();
    if args.tui {
        tui_handshake(&mut out)?;
    }
    writeln!(out, "\x1b[1;35mfake-agent\x1b[0m ready (pid {})", std::process::id())?;
    if let Some(p) = &args.prompt {
        writeln!(out, "\x1b[36mtask:\x1b[0m {p}")?;
    }
    if args.print_env {
        let mut vars: Vec<_> = std::env::vars_os().collect();
        vars.sort();
        for (k, v) in vars {
            writeln!(out, "env: {}={}", k.to_string_lossy(), v.to_string_lossy())?;
        }
    }
    // Cursor movement: a spinner drawn in place.
    for frame in ["|", "/", "-", "\\"] {
        write!(out, "\r\x1b[33m{frame}\x1b[0m thinking\x1b[K")?;
        out.flush()?;
        std::thread::sleep(Duration::from_millis(20));
    }
    writeln!(out, "\r\x1b[32m✓\x1b[0m thought\x1b[K")?;
    if args.grandchild {
        let child = std::process::Command::new(std::env::current_exe()?).arg("--sleeper").spawn()?;
        writeln!(out, "started helper {}", child.id())?;
    }
    if args.daemon {
        // setsid(1) -f forks into a new session: the helper is reparented to init, out of our process group.
        std::process::Command::new("setsid")
            .arg("-f")
            .arg(std::env::current_exe()?)
            .arg("--sleeper")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()?;
        writeln!(out, "started daemon")?;
    }
    if let Some(mib) = args.alloc_mib {
        let mut held: Vec<Vec<u8>> = Vec::new();
        for _ in 0..mib {
            // Every page written, so the memory is really used.
            held.push(vec![1u8; 1024 * 1024]);
        }
        writeln!(out, "allocated {} MiB", held.len())?;
    }
    if let Some(addr) = &args.connect {
        use std::net::ToSocketAddrs;
        let tried = addr.to_socket_addrs().and_then(|mut a| {
            let a = a.next().ok_or_else(|| std::io::Error::other("no address"))?;
            std::net::TcpStream::connect_timeout(&a, Duration::from_secs(3))
        });
        match tried {
            Ok(_) => writeln!(out, "connect {addr}: connected")?,
            Err(e) => writeln!(out, "connect {addr}: failed ({e})")?,
        }
    }
    if args.mcp {
        mcp::run(&mut out, args.mcp_other.as_deref())?;
    }
    for w in &args.writes {
        let (file, content) = w.split_once('=').unwrap_or((w.as_str(), ""));
        std::fs::write(file, format!("{content}\n"))?;
        writeln!(out, "\x1b[32medited\x1b[0m {file}")?;
    }
    if let Some(q) = &args.ask {
        write!(out, "\x1b[1m? {q}\x1b[0m ")?;
        out.flush()?;
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        writeln!(out, "you said: {}", answer.trim())?;
    }
    if let Some(mib) = args.flood {
        flood(&mut out, mib, args.rate)?;
    }
    if args.echo {
        echo(&mut out)?;
    }
    out.flush()?;
    std::thread::sleep(Duration::from_millis(args.linger_ms));
    writeln!(out, "\x1b[1mdone\x1b[0m, exit {}", args.exit)?;
    out.flush()
}

/// Raw mode, then `ESC[6n` (cursor position) and `ESC[c` (device attributes); nothing more until both answer.
fn tui_handshake(out: &mut impl Write) -> std::io::Result<()> {
    use nix::sys::termios::{SetArg, cfmakeraw, tcgetattr, tcsetattr};
    let stdin = std::io::stdin();
    let saved = tcgetattr(&stdin).map_err(std::io::Error::from)?;
    let mut raw = saved.clone();
    cfmakeraw(&mut raw);
    tcsetattr(&stdin, SetArg::TCSANOW, &raw).map_err(std::io::Error::from)?;
    write!(out, "\x1b[6n\x1b[c")?;
    out.flush()?;
    let (mut cpr, mut da) = (false, false);
    let mut seen = Vec::new();
    let mut byte = [0u8; 1];
    while !(cpr && da) {
        if stdin.lock().read(&mut byte)? == 0 {
            break;
        }
        seen.push(byte[0]);
        let text = String::from_utf8_lossy(&seen);
        cpr |= text.contains('R');
        da |= text.contains("[?") && text.ends_with('c');
    }
    tcsetattr(&stdin, SetArg::TCSANOW, &saved).map_err(std::io::Error::from)?;
    write!(out, "\x1b[2J\x1b[H")?;
    writeln!(out, "╭──────────────╮\r\n│ fake-agent │\r\n╰──────────────╯")?;
    Ok(())
}

fn flood(out: &mut impl Write, mib: u64, rate: Option<u64>) -> std::io::Result<()> {
    let line = format!("\x1b[2m{}\x1b[0m\n", "0123456789abcdef".repeat(4));
    let started = std::time::Instant::now();
    let mut written = 0u64;
    while written < mib * 1024 * 1024 {
        out.write_all(line.as_bytes())?;
        written += line.len() as u64;
        if let Some(r) = rate.filter(|r| *r > 0) {
            // Ahead of the pace: wait until the clock catches up.
            let due = Duration::from_secs_f64(written as f64 / (r * 1024 * 1024) as f64);
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                out.flush()?;
                std::thread::sleep(wait);
            }
        }
    }
    Ok(())
}

/// Raw mode; each byte read is written back at once, until `q`.
fn echo(out: &mut impl Write) -> std::io::Result<()> {
    use nix::sys::termios::{SetArg, cfmakeraw, tcgetattr, tcsetattr};
    let stdin = std::io::stdin();
    let saved = tcgetattr(&stdin).map_err(std::io::Error::from)?;
    let mut raw = saved.clone();
    cfmakeraw(&mut raw);
    tcsetattr(&stdin, SetArg::TCSANOW, &raw).map_err(std::io::Error::from)?;
    writeln!(out, "echo ready\r")?;
    out.flush()?;
    let mut byte = [0u8; 1];
    while stdin.lock().read(&mut byte)? == 1 && byte[0] != b'q' {
        out.write_all(&byte)?;
        out.flush()?;
    }
    tcsetattr(&stdin, SetArg::TCSANOW, &saved).map_err(std::io::Error::from)
}
