//! `meedoen serve`, `meedoen migrate` and `meedoen admin`.

use clap::{Args, Subcommand};
use meedoen::config::Config;
use meedoen::db::Db;
use meedoen::web::AppState;
use std::net::SocketAddr;
use std::process::ExitCode;

#[derive(Args, Clone)]
pub struct DbArgs {
    /// Database: `sqlite://meedoen.db` (default, created when missing) or `postgres://...`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://meedoen.db")]
    pub database_url: String,
}

#[derive(Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Address to listen on.
    #[arg(long, env = "MEEDOEN_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// The public address residents use (decides secure cookies and links in e-mails).
    #[arg(
        long,
        env = "MEEDOEN_PUBLIC_URL",
        default_value = "http://localhost:8080"
    )]
    pub public_url: String,
    /// Load the demo (Haarlem and Zaanstad) when it is not there yet.
    #[arg(long)]
    pub demo: bool,
    /// SMTP server, e.g. `smtp://user:password@mail.example.nl:587`; without it, e-mail
    /// stays in the outbox that administrators can read.
    #[arg(long, env = "MEEDOEN_SMTP_URL")]
    pub smtp_url: Option<String>,
    /// Sender of e-mail.
    #[arg(
        long,
        env = "MEEDOEN_MAIL_FROM",
        default_value = "Meedoen <noreply@meedoen.localhost>"
    )]
    pub mail_from: String,
    /// Bearer token that protects /metrics (open when not set).
    #[arg(long, env = "MEEDOEN_METRICS_TOKEN")]
    pub metrics_token: Option<String>,
    /// Background job workers in this process.
    #[arg(long, env = "MEEDOEN_JOB_WORKERS", default_value_t = 2)]
    pub job_workers: usize,
    /// Log as JSON lines (for log collectors) instead of text.
    #[arg(long, env = "MEEDOEN_LOG_JSON")]
    pub log_json: bool,
}

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Create an account, optionally with a role in a municipality or as platform operator.
    CreateUser {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Password (at least 10 characters); read from MEEDOEN_PASSWORD when not given.
        #[arg(long, env = "MEEDOEN_PASSWORD")]
        password: String,
        /// Municipality slug for the role.
        #[arg(long)]
        tenant: Option<String>,
        /// Role: procesbegeleider, moderator, griffie, raadslid or beheerder.
        #[arg(long)]
        role: Option<String>,
        /// Make the account platform operator (all municipalities).
        #[arg(long)]
        platform: bool,
    },
    /// Set a new password for an account; ends its sessions.
    ResetPassword {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        email: String,
        #[arg(long, env = "MEEDOEN_PASSWORD")]
        password: String,
    },
}

pub fn init_logging(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    if json {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .json()
            .init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).init();
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

pub async fn open(url: &str) -> anyhow::Result<Db> {
    let db = Db::connect(url)
        .await
        .map_err(|e| anyhow::anyhow!("kan database {url} niet openen: {e}"))?;
    meedoen::db::migrate::run(&db).await?;
    Ok(db)
}

pub fn serve(args: ServeArgs) -> ExitCode {
    init_logging(args.log_json);
    if args.mail_from.parse::<lettre::message::Mailbox>().is_err() {
        eprintln!(
            "fout: --mail-from is geen geldig e-mailadres: {}",
            args.mail_from
        );
        return ExitCode::FAILURE;
    }
    let rt = runtime();
    let res: anyhow::Result<()> = rt.block_on(async move {
        let db = open(&args.db.database_url).await?;
        let config = Config {
            database_url: args.db.database_url.clone(),
            bind: args.bind,
            public_url: args.public_url.clone(),
            smtp_url: args.smtp_url.clone(),
            mail_from: args.mail_from.clone(),
            metrics_token: args.metrics_token.clone(),
            job_workers: args.job_workers,
        };
        let state = AppState::new(db, config).await?;
        if args.demo {
            meedoen::modules::kern::demo::load(&state).await?;
        }
        let listener = tokio::net::TcpListener::bind(args.bind).await?;
        tracing::info!("Meedoen draait op http://{}", listener.local_addr()?);
        meedoen::web::serve(state, listener).await
    });
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fout: {e:#}");
            ExitCode::FAILURE
        }
    }
}

pub fn migrate(db: DbArgs) -> ExitCode {
    init_logging(false);
    let rt = runtime();
    match rt.block_on(async {
        let db = Db::connect(&db.database_url).await?;
        let applied = meedoen::db::migrate::run(&db).await?;
        anyhow::Ok(applied)
    }) {
        Ok(v) => {
            println!("{} migratie(s) uitgevoerd", v.len());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("fout: {e:#}");
            ExitCode::FAILURE
        }
    }
}

pub fn admin(cmd: AdminCommand) -> ExitCode {
    let rt = runtime();
    let res = rt.block_on(async move {
        match cmd {
            AdminCommand::CreateUser {
                db,
                email,
                name,
                password,
                tenant,
                role,
                platform,
            } => {
                let db = open(&db.database_url).await?;
                meedoen::modules::kern::cli::create_user(
                    &db,
                    &email,
                    &name,
                    &password,
                    tenant.as_deref(),
                    role.as_deref(),
                    platform,
                )
                .await
            }
            AdminCommand::ResetPassword {
                db,
                email,
                password,
            } => {
                let db = open(&db.database_url).await?;
                meedoen::modules::kern::cli::reset_password(&db, &email, &password).await
            }
        }
    });
    match res {
        Ok(msg) => {
            println!("{msg}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("fout: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[derive(Args)]
pub struct BenchSeedArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Municipality to fill (the demo is loaded first when it is missing).
    #[arg(long, default_value = "haarlem")]
    pub tenant: String,
    #[arg(long, default_value_t = 2_000)]
    pub trajectories: usize,
    #[arg(long, default_value_t = 200_000)]
    pub reactions: usize,
    #[arg(long, default_value_t = 100_000)]
    pub users: usize,
}

/// `meedoen bench-seed`: generated data at the scale of a large city, for the load benchmark.
pub fn bench_seed(args: BenchSeedArgs) -> ExitCode {
    init_logging(false);
    let rt = runtime();
    match rt.block_on(async {
        let db = Db::connect(&args.db.database_url).await?;
        meedoen::db::migrate::run(&db).await?;
        let state =
            AppState::new(db.clone(), Config::for_tests(args.db.database_url.clone())).await?;
        meedoen::modules::kern::demo::load(&state).await?;
        let scale = meedoen::modules::trajecten::bench::Scale {
            trajectories: args.trajectories,
            reactions: args.reactions,
            users: args.users,
        };
        meedoen::modules::trajecten::bench::seed(&db, &args.tenant, &scale).await
    }) {
        Ok(()) => {
            println!(
                "{} trajecten, {} reacties en {} accounts toegevoegd aan {}",
                args.trajectories, args.reactions, args.users, args.tenant
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("fout: {e:#}");
            ExitCode::FAILURE
        }
    }
}
