//! 启动 (starting the hall server): opens the data dir, loads or makes the
//! keys, seeds the demo district when asked, and serves. Part of the
//! binary's edge: errors here are `anyhow`.

use crate::core::record::{ElectionId, PublicKey};
use crate::hall::StaffRole;
use crate::keys::{read_public_key, Signer};
use crate::service::auth::hash_password;
use crate::service::Services;
use crate::store::Store;
use crate::web::AppState;
use anyhow::Context;
use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;

/// What a first start created and must tell the operator once.
#[derive(Default, Debug)]
pub struct Created {
    pub accounts: Vec<(String, String, &'static str)>,
    pub keys: Vec<String>,
}

/// Opens `data` (store, keys) and returns the server's state. With `demo`,
/// makes the demo district's scrutineer keys, staff, roster and round.
pub async fn prepare(data: &Path, demo: bool) -> anyhow::Result<(Arc<AppState>, Created)> {
    let store = Store::open(data).with_context(|| format!("opening {}", data.display()))?;
    let keys = data.join("keys");
    let mut created = Created::default();
    let (authority, new) = Signer::load_or_create(&keys, "authority")?;
    if new {
        created
            .keys
            .push(format!("{}", keys.join("authority.key").display()));
    }
    if demo {
        for name in ["scrutineer-1", "scrutineer-2"] {
            if !keys.join(format!("{name}.pub")).exists() {
                let (_, new) = Signer::load_or_create(&keys, name)?;
                if new {
                    created
                        .keys
                        .push(format!("{}", keys.join(format!("{name}.key")).display()));
                }
            }
        }
    }
    let scrutineer_keys = scrutineer_keys(&keys)?;
    let election_id = match store.setting("election_id").await? {
        Some(e) => ElectionId::parse(&e).map_err(|e| anyhow::anyhow!("stored election id: {e}"))?,
        None => {
            let e = crate::demo::ELECTION_ID.to_string();
            store.set_setting("election_id", e.clone()).await?;
            ElectionId::parse(&e).map_err(|e| anyhow::anyhow!("{e}"))?
        }
    };
    if store.staff_count().await? == 0 {
        // One account per role (and two departments); more are added later.
        let accounts: &[(&str, &str, StaffRole)] = &[
            ("mishu", "大会秘书处", StaffRole::Secretariat),
            ("zongjianpiao", "总监票人", StaffRole::ChiefScrutineer),
            ("jianpiao1", "监票人一", StaffRole::Scrutineer),
            ("jianpiao2", "监票人二", StaffRole::Scrutineer),
            ("jipiao1", "计票人一", StaffRole::Counter),
            ("jipiao2", "计票人二", StaffRole::Counter),
            ("gongzuozu", "工作组组长", StaffRole::WorkingGroup),
            ("gongzuozu2", "工作组成员", StaffRole::WorkingGroup),
            ("zhujianju", "区住房和城乡建设局", StaffRole::Department),
            ("jiaoyuju", "区教育局", StaffRole::Department),
        ];
        for (user, name, role) in accounts {
            let (password, hash) = new_password()?;
            store
                .create_staff(user.to_string(), name.to_string(), *role, hash)
                .await?;
            created
                .accounts
                .push((user.to_string(), password, role.label_zh()));
        }
    }
    if !created.accounts.is_empty() {
        // The working group: its leader and a member.
        for (user, role) in [
            ("gongzuozu", crate::upstream::stage::GroupRole::Leader),
            ("gongzuozu2", crate::upstream::stage::GroupRole::Member),
        ] {
            if let Some((s, _)) = store.staff_by_username(user.into()).await? {
                store
                    .upstream(
                        "system".into(),
                        crate::core::record::Timestamp::now_beijing(),
                        move |u| u.set_group_role(s.id, &role),
                    )
                    .await?;
            }
        }
    }
    if demo {
        if store.deputies().await?.is_empty() {
            store.import_roster(crate::demo::roster()).await?;
        }
        if store.rounds().await?.is_empty() {
            crate::seed::demo_year(&store, election_id).await?;
        }
    }
    // An issuing key outlives its round only if the server stopped between
    // closing and deleting it: gone now.
    let open = store.open_round_id().await?;
    crate::keys::IssuingSecret::delete_all_but(&keys, open)?;
    let state = Arc::new(AppState::new(Services::new(
        store,
        authority,
        scrutineer_keys,
        election_id,
        keys.clone(),
    )));
    // A review published just before a stop still gets its 整改 items.
    state.rectify_all().await?;
    Ok((state, created))
}

/// The scrutineers' public keys: every `scrutineer-*.pub` in `keys`, by name.
fn scrutineer_keys(keys: &Path) -> anyhow::Result<Vec<PublicKey>> {
    let mut names: Vec<_> = match std::fs::read_dir(keys) {
        Ok(rd) => rd
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("scrutineer-") && n.ends_with(".pub"))
            })
            .collect(),
        Err(_) => vec![],
    };
    names.sort();
    names
        .iter()
        .map(|p| read_public_key(&p.to_string_lossy()).map_err(|e| anyhow::anyhow!("{e}")))
        .collect()
}

/// Opens the store of an existing data dir, for a command run beside the
/// server; never makes a new one where `--data` points wrong.
pub fn open_existing(data: &Path) -> anyhow::Result<Store> {
    let db = data.join(crate::store::DB_FILE);
    if !db.exists() {
        anyhow::bail!("没有找到数据库 {} （应为服务的数据目录）", db.display());
    }
    Store::open(data).with_context(|| format!("opening {}", data.display()))
}

/// A fresh staff password (12 digits) and its hash.
fn new_password() -> anyhow::Result<(String, String)> {
    let password = crate::store::random_digits(12)?;
    let hash = hash_password(&password).map_err(|e| anyhow::anyhow!(e))?;
    Ok((password, hash))
}

/// A new password for the staff account `user` in the data dir `data`
/// (which must exist); every session of that account is ended. For an
/// operator at the server: the password is returned, to be shown once.
pub async fn reset_password(data: &Path, user: &str) -> anyhow::Result<String> {
    let store = open_existing(data)?;
    let (password, hash) = new_password()?;
    store
        .reset_password(user.to_string(), hash)
        .await
        .with_context(|| format!("账号 {user}"))?;
    Ok(password)
}

/// Where the first start writes the staff accounts' passwords (mode 0600).
pub const PASSWORD_FILE: &str = "staff-passwords.txt";

/// Serves on `listen` until Ctrl-C.
pub async fn run(
    state: Arc<AppState>,
    listen: &str,
    created: Created,
    demo: bool,
    tls: Option<crate::tls::Tls>,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    let base = format!("{}://{addr}", if tls.is_some() { "https" } else { "http" });
    println!("minsheng 已启动：{base}");
    if let Some(t) = &tls {
        println!("TLS 证书指纹 (SHA-256)，请在每台平板的浏览器中核对:");
        println!("  {}", t.fingerprint);
        println!("{}", t.fingerprint_qr());
    }
    println!("  代表平板      {base}/tablet");
    println!("  大会控制台    {base}/console   (登录 {base}/login)");
    println!("  会场大屏      {base}/hall");
    println!("  公布的结果    {base}/results");
    println!("  计票          {base}/count");
    println!("  征集与审议    {base}/upstream   (工作组、承办部门)");
    println!("  全过程公开    {base}/public");
    if !created.accounts.is_empty() {
        // Passwords go to a file only the operator can read, and to the
        // screen only when it is a terminal: never into a captured log.
        let mut text = String::from("工作人员账号（初始密码；分发后请删除本文件）\n");
        for (user, pw, role) in &created.accounts {
            text.push_str(&format!("  {role:<8} {user:<14} {pw}\n"));
        }
        let data = state.store.path().parent().unwrap_or(Path::new("."));
        match crate::keys::write_whole(data, PASSWORD_FILE, &text, 0o600) {
            Ok(file) => {
                if std::io::stdout().is_terminal() {
                    print!("{text}");
                }
                println!(
                    "工作人员初始密码已存入 {}（仅本机管理员可读，分发后请删除）",
                    file.display()
                );
            }
            Err(e) => {
                // The accounts exist now: losing their passwords would lock
                // everyone out, so they are shown whatever the output is.
                eprintln!("无法写入初始密码文件 ({e})；密码只显示这一次，请立即抄下:");
                print!("{text}");
            }
        }
    }
    for k in &created.keys {
        println!("新生成密钥: {k}");
    }
    if demo {
        let codes = state.store.checkin_codes().await?;
        println!("示范代表签到（平板上输入编号和签到码；全部签到码可在控制台“打印签到码”查看）:");
        for (d, code) in codes.iter().take(3) {
            println!("  编号 {}  {}  签到码 {code}", d.number, d.name);
        }
        println!(
            "监票人签名: minsheng attest --key {}/keys/scrutineer-1.key result-body.json",
            state
                .store
                .path()
                .parent()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        );
    }
    if state.scrutineer_keys().is_empty() {
        println!(
            "注意: keys/ 中没有 scrutineer-*.pub：没有监票人公钥不能开始投票。请把每位监票人的公钥文件放入 keys/ 后重启服务。"
        );
    }
    crate::web::serve_tls(listener, state, tls.map(|t| t.acceptor), async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
