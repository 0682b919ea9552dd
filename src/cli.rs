//! The command line: parses arguments, calls the library, prints what
//! happened. Errors end here as `anyhow` with exit code 1 (a failed check)
//! or 2 (bad usage or a file that cannot be read).

use crate::core::canon::Hash;
use crate::core::verify::{verify_bundle, Options};
use crate::keys::{read_public_key, Signer};
use crate::sample::{write_sample, SampleSpec};
use anyhow::{anyhow, bail, Context};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "minsheng",
    version,
    about = "民生实事项目代表票决 — suggestion to verifiable vote"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Verify published bundles (tally-record-v1); several bundles are a chain of rounds, in order.
    Verify {
        /// bundle.jsonl files: round 1 first, then each runoff.
        #[arg(required = true)]
        bundles: Vec<PathBuf>,
        /// The tally hash read out in the hall (of the last bundle given).
        #[arg(long)]
        tally_hash: Option<String>,
        /// The authority's public key (64 hex characters or a .pub file).
        #[arg(long)]
        authority_key: Option<String>,
        /// A log head noted during voting, SEQ:HASH (of the last bundle given).
        #[arg(long)]
        head: Option<String>,
        /// Worker threads (default: one per core).
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Print only the tally hash, or the failure.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Make an Ed25519 key pair: <dir>/<name>.key (mode 0600) and <dir>/<name>.pub.
    Keygen {
        /// authority, scrutineer-1, ...
        name: String,
        #[arg(long, default_value = "keys")]
        dir: PathBuf,
    },
    /// Run the hall server on a data dir (SQLite, keys/).
    Serve {
        #[arg(long, default_value = "minsheng-data")]
        data: PathBuf,
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        #[command(flatten)]
        tls: TlsArgs,
    },
    /// The demo district (石拐区 2027): 150 deputies, 12 projects, staff accounts; then serve.
    Demo {
        /// The data dir (default `demo-data`, or `demo-after-data` with --after-vote).
        #[arg(long)]
        data: Option<PathBuf>,
        /// The whole year played through: the vote held and published, the
        /// projects followed (plans, reports, a late milestone, a 暂缓, an
        /// inspection, public ratings) and the 满意度测评 at the next session.
        #[arg(long)]
        after_vote: bool,
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        #[command(flatten)]
        tls: TlsArgs,
    },
    /// A new password for a staff account (重置密码), shown once; the account's sessions end.
    Passwd {
        /// The account's user name (mishu, zongjianpiao, jipiao1, ...).
        user: String,
        #[arg(long, default_value = "minsheng-data")]
        data: PathBuf,
    },
    /// Check the upstream audit log (过程记录): a data dir, or audit.jsonl downloaded from /public/audit.jsonl.
    AuditVerify {
        /// A data dir (minsheng.db inside) or an audit.jsonl file.
        path: PathBuf,
    },
    /// Sign a result body as a scrutineer; prints the JSON the console accepts.
    Attest {
        /// Your private key file (scrutineer-N.key).
        #[arg(long)]
        key: PathBuf,
        /// The result body (result-body.json downloaded from the console).
        result: PathBuf,
    },
    /// Write a sample bundle built with the well-known test keys (for practice and benchmarks).
    Sample {
        #[arg(long, short)]
        out: PathBuf,
        #[arg(long, default_value_t = 150)]
        ballots: u64,
        #[arg(long, default_value_t = 12)]
        candidates: usize,
        #[arg(long, default_value_t = 10)]
        seats: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

/// TLS for the hall network.
#[derive(clap::Args, Debug)]
pub struct TlsArgs {
    /// The server certificate chain (PEM).
    #[arg(long, requires = "tls_key", conflicts_with = "self_signed")]
    tls_cert: Option<PathBuf>,
    /// The server's private key (PEM).
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// For drills: a fresh self-signed certificate; its fingerprint (and a QR
    /// of it) is printed for staff to check on each tablet.
    #[arg(long)]
    self_signed: bool,
}

impl TlsArgs {
    fn load(&self, listen: &str) -> anyhow::Result<Option<crate::tls::Tls>> {
        if let (Some(c), Some(k)) = (&self.tls_cert, &self.tls_key) {
            return Ok(Some(crate::tls::Tls::from_files(c, k)?));
        }
        if self.self_signed {
            let host = listen
                .rsplit_once(':')
                .map_or(listen, |(h, _)| h)
                .trim_matches(['[', ']']);
            let names = vec![host.to_string(), "localhost".to_string()];
            return Ok(Some(crate::tls::Tls::self_signed(names)?));
        }
        Ok(None)
    }
}

/// Runs the command line; the exit code says how it went.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // The server's log: structured lines on stderr, `MINSHENG_LOG` sets the
    // levels (default `info`); command output stays on stdout.
    let filter = tracing_subscriber::EnvFilter::try_from_env("MINSHENG_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::AuditVerify { path } => audit_verify(&path),
        Command::Verify {
            bundles,
            tally_hash,
            authority_key,
            head,
            threads,
            quiet,
        } => {
            let tally_hash = tally_hash
                .map(|h| Hash::parse_hex(h.trim()).map_err(|e| anyhow!("--tally-hash: {e}")))
                .transpose()?;
            let authority_key = authority_key
                .map(|k| read_public_key(&k).map_err(|e| anyhow!("--authority-key: {e}")))
                .transpose()?;
            let head = head.map(|h| parse_head(&h)).transpose()?;
            verify(&bundles, tally_hash, authority_key, head, threads, quiet)
        }
        Command::Keygen { name, dir } => {
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                bail!("key name {name:?}: use letters, digits, - and _");
            }
            let signer = Signer::generate()?;
            let (k, p) = signer.save(&dir, &name)?;
            println!(
                "private key: {} (mode 0600; back it up offline, never commit it)",
                k.display()
            );
            println!("public key:  {} = {}", p.display(), signer.public_key());
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve { data, listen, tls } => {
            serve(&data, &listen, Mode::Serve, tls.load(&listen)?)
        }
        Command::Demo {
            data,
            after_vote,
            listen,
            tls,
        } => {
            let data = data.unwrap_or_else(|| {
                PathBuf::from(if after_vote {
                    "demo-after-data"
                } else {
                    "demo-data"
                })
            });
            let mode = if after_vote {
                Mode::DemoAfterVote
            } else {
                Mode::Demo
            };
            serve(&data, &listen, mode, tls.load(&listen)?)
        }
        Command::Passwd { user, data } => {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let password = rt.block_on(crate::server::reset_password(&data, &user))?;
            println!("{user} 的新密码: {password}");
            println!("（只显示这一次；该账号原有的登录已全部退出）");
            Ok(ExitCode::SUCCESS)
        }
        Command::Attest { key, result } => {
            let signer = Signer::load(&key)?;
            let text = std::fs::read(&result)
                .with_context(|| format!("cannot read {}", result.display()))?;
            use crate::core::satisfaction::RoundResult;
            // A vote's result, or a review's (its type says which).
            let review = text
                .windows(b"minsheng.review-result/".len())
                .any(|w| w == b"minsheng.review-result/");
            let body = RoundResult::parse(&text, review)
                .map_err(|e| anyhow!("{}: not a result body: {e}", result.display()))?;
            let sig = signer.sign(crate::core::record::Role::Scrutineer, &body);
            let ids = |v: &[crate::core::record::CandidateId]| {
                v.iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()
                    .join("、")
            };
            let c = body.common();
            let what = match &body {
                RoundResult::Vote(v) => format!(
                    "计票结果哈希 {}。收回 {} 张，有效 {} 张，废票 {} 张；确定项目：{}{}",
                    body.hash(),
                    c.returned,
                    c.valid,
                    c.void,
                    if v.decided.is_empty() {
                        "无".to_string()
                    } else {
                        ids(&v.decided)
                    },
                    if v.runoff.is_empty() {
                        String::new()
                    } else {
                        format!("；再次投票：{}", ids(&v.runoff))
                    },
                ),
                RoundResult::Review(v) => format!(
                    "满意度测评结果哈希 {}。收回 {} 张，有效 {} 张，废票 {} 张；{}",
                    body.hash(),
                    c.returned,
                    c.valid,
                    c.void,
                    v.ratings
                        .iter()
                        .map(|(id, r)| format!("{id} {}", r.label_zh()))
                        .collect::<Vec<_>>()
                        .join("、"),
                ),
            };
            let election = match &body {
                RoundResult::Vote(v) => v.election_id,
                RoundResult::Review(v) => v.election_id,
            };
            eprintln!(
                "签署：{election} 第 {} 轮。{what}。请核对后把下一行交给大会秘书处。",
                c.round,
            );
            println!(
                "{}",
                serde_json::json!({"public_key": sig.public_key, "signature": sig.signature})
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Sample {
            out,
            ballots,
            candidates,
            seats,
            seed,
        } => {
            if candidates == 0 || candidates > 999 || seats == 0 {
                bail!("--candidates must be 1..=999 and --seats at least 1");
            }
            let f = std::fs::File::create(&out)
                .with_context(|| format!("cannot create {}", out.display()))?;
            let spec = SampleSpec {
                ballots,
                candidates,
                seats,
                seed,
                ..SampleSpec::default()
            };
            let o = write_sample(&spec, f).with_context(|| format!("writing {}", out.display()))?;
            println!(
                "wrote {} ({} bytes, {ballots} ballots)",
                out.display(),
                o.bytes
            );
            println!("tally hash: {}", o.tally_hash);
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Checks the audit chain, from a data dir or an exported file.
fn audit_verify(path: &std::path::Path) -> anyhow::Result<ExitCode> {
    let lines: Vec<String> = if path.is_dir() {
        let rt = tokio::runtime::Builder::new_current_thread().build()?;
        let store = crate::server::open_existing(path)?;
        rt.block_on(store.audit_lines())?
    } else {
        std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?
            .lines()
            .map(str::to_string)
            .collect()
    };
    match crate::upstream::audit::verify(lines.iter().map(String::as_str)) {
        Ok(tip) => {
            println!(
                "ok  {} events 条记录: seq 1..{} without gaps, every prev links, every line canonical",
                tip.seq, tip.seq
            );
            println!("head 末条哈希: {}", tip.hash);
            println!("VERIFIED");
            Ok(ExitCode::SUCCESS)
        }
        Err(f) => {
            eprintln!(
                "FAIL {}:{}: {}: {}",
                path.display(),
                f.line,
                f.field,
                f.message
            );
            Ok(ExitCode::from(1))
        }
    }
}

/// What `serve` starts: a data dir as it is, the demo with its live vote,
/// or the demo year played through to the 满意度测评.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Serve,
    Demo,
    DemoAfterVote,
}

fn serve(
    data: &std::path::Path,
    listen: &str,
    mode: Mode,
    tls: Option<crate::tls::Tls>,
) -> anyhow::Result<ExitCode> {
    let demo = mode != Mode::Serve;
    // Reads share one connection and password checks are few: a small
    // blocking pool keeps a full hall's burst from spawning hundreds of
    // threads (and their memory).
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(8)
        .build()?;
    rt.block_on(async {
        let (state, created) = crate::server::prepare(data, demo).await?;
        if mode == Mode::DemoAfterVote {
            println!(
                "正在演示全年：票决、实施跟踪、满意度测评（只在第一次运行时做，需要一会儿）……"
            );
            let signers = crate::seed_after::scrutineers(&data.join("keys"))?;
            if let Some(p) = crate::seed_after::play(&state, &signers).await? {
                println!(
                    "  票决第 {} 轮确定 {} 个项目；进展报告 {} 份；满意度测评第 {} 轮已公布",
                    p.vote_round, p.decided, p.reports, p.review_round
                );
            }
        }
        crate::server::run(state, listen, created, demo, tls).await
    })?;
    Ok(ExitCode::SUCCESS)
}

fn parse_head(s: &str) -> anyhow::Result<(u64, Hash)> {
    let (seq, hash) = s
        .split_once(':')
        .ok_or_else(|| anyhow!("--head: expected SEQ:HASH, found {s:?}"))?;
    let seq: u64 = seq
        .trim()
        .parse()
        .map_err(|_| anyhow!("--head: {seq:?} is not a sequence number"))?;
    let hash = Hash::parse_hex(hash.trim()).map_err(|e| anyhow!("--head: {e}"))?;
    Ok((seq, hash))
}

fn verify(
    bundles: &[PathBuf],
    tally_hash: Option<Hash>,
    authority_key: Option<crate::core::record::PublicKey>,
    head: Option<(u64, Hash)>,
    threads: usize,
    quiet: bool,
) -> anyhow::Result<ExitCode> {
    let mut previous: Option<crate::core::verify::Verified> = None;
    for (i, path) in bundles.iter().enumerate() {
        let last = i + 1 == bundles.len();
        let file =
            std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        if !quiet {
            println!("{}", path.display());
        }
        let opts = Options {
            tally_hash: if last { tally_hash } else { None },
            authority_key,
            head: if last { head } else { None },
            previous_result: previous.as_ref().map(|p| p.tally_hash),
            threads,
        };
        let outcome = verify_bundle(file, &opts, &mut |line| {
            if !quiet {
                println!("  {line}");
            }
        });
        let v = match outcome {
            Ok(v) => v,
            Err(e) => {
                eprintln!(
                    "FAIL {}:{}: {}: {}",
                    path.display(),
                    e.line,
                    e.field,
                    e.message
                );
                return Ok(ExitCode::from(1));
            }
        };
        if let Some(p) = &previous {
            let (m, pm) = (&v.manifest, &p.manifest);
            if m.election_id != pm.election_id || m.round != pm.round + 1 {
                eprintln!(
                    "FAIL {}:1: body.round: found {} round {}, expected {} round {} (the round after the bundle before)",
                    path.display(),
                    m.election_id,
                    m.round,
                    pm.election_id,
                    pm.round + 1
                );
                return Ok(ExitCode::from(1));
            }
            if !quiet {
                println!(
                    "  ok  follows round {} (previous_result = its tally hash)",
                    pm.round
                );
            }
        }
        if quiet {
            println!("{}", v.tally_hash);
        } else {
            println!("  tally hash 计票结果哈希: {}", v.tally_hash);
        }
        previous = Some(v);
    }
    if !quiet {
        println!("VERIFIED: every check passed");
    }
    Ok(ExitCode::SUCCESS)
}
