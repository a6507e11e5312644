//! `glaneur profile new` (write a site profile from a polite sample of the site) and
//! `glaneur profile check` (do a profile's selectors still match the site?).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};
use url::Url;

use glaneur::config::{Policy, SiteProfile, load_profiles};
use glaneur::profile::selectors::Field;
use glaneur::profile::{self, NewOptions, write};

use super::crawl::parse_resolve;
use super::{Printer, UsageError};
use crate::ExitCode;

/// Arguments of `glaneur profile`.
#[derive(Debug, Args)]
pub struct ProfileArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: ProfileCommand,
}

/// The `profile` subcommands.
#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// Write a commented site profile from a polite sample of the site (start page,
    /// feed, sitemap, linked pages): article regex, deny rules, feeds and selectors.
    New(NewArgs),
    /// Check that profiles' selectors still match their sites' recent articles (exit 6
    /// when a field broke, naming it, its selector and a suggested replacement).
    Check(CheckArgs),
}

/// Options shared by `new` and `check`.
#[derive(Debug, Args)]
pub struct FetchOptions {
    /// Politeness policy file (user agent, rate, robots.txt) [default: robots-policy.toml
    /// if present, else the built-in defaults]
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Resolve HOST to ADDR (IP or IP:PORT) instead of DNS; repeatable.
    #[arg(long, value_name = "HOST=ADDR")]
    pub resolve: Vec<String>,
}

/// Arguments of `glaneur profile new`.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Pages are fetched at the policy's rate, after robots.txt (obeyed): 40 pages at 1 request/s
take 40 seconds and more. The profile is written with the evidence of every choice as
comments; a table per field is printed (selector, agreement, example).

EXAMPLES:
    glaneur profile new https://www.example.org/
    glaneur profile new https://www.example.org/ --out seeds/example.toml --pages 60")]
pub struct NewArgs {
    /// The site's start page.
    pub url: String,
    /// Where to write the profile [default: seeds/<name>.toml].
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// HTML pages to sample.
    #[arg(long, value_name = "N", default_value_t = 40)]
    pub pages: usize,
    /// The profile's name [default: the host].
    #[arg(long)]
    pub name: Option<String>,
    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
    /// Policy and name resolution.
    #[command(flatten)]
    pub fetch: FetchOptions,
}

/// Arguments of `glaneur profile check`.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Exit status: 0 every field healthy, 6 a field broke (its selector matches nothing or gives
implausible values on most recent articles), 1 the site could not be checked, 2 usage.

EXAMPLES:
    glaneur profile check seeds/                  every profile of seeds/
    glaneur profile check seeds/example.toml --json")]
pub struct CheckArgs {
    /// Profile files or folders of profiles.
    #[arg(required = true, value_name = "PROFILE")]
    pub profiles: Vec<PathBuf>,
    /// Recent articles to check per profile.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub pages: usize,
    /// One JSON object per profile on stdout.
    #[arg(long)]
    pub json: bool,
    /// Policy and name resolution.
    #[command(flatten)]
    pub fetch: FetchOptions,
}

fn load_policy(path: Option<&Path>) -> anyhow::Result<Policy> {
    match path {
        Some(p) => Policy::load(p).map_err(|e| UsageError(e.to_string()).into()),
        None if Path::new("robots-policy.toml").exists() => {
            Policy::load(Path::new("robots-policy.toml"))
                .map_err(|e| UsageError(e.to_string()).into())
        }
        None => Ok(Policy::default()),
    }
}

fn resolve_list(values: &[String]) -> anyhow::Result<Vec<(String, SocketAddr)>> {
    values
        .iter()
        .map(|r| parse_resolve(r).map_err(|e| UsageError(e).into()))
        .collect()
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Runs `glaneur profile`.
pub fn run(args: &ProfileArgs, printer: Printer) -> anyhow::Result<ExitCode> {
    match &args.command {
        ProfileCommand::New(a) => run_new(a, printer),
        ProfileCommand::Check(a) => run_check(a, printer),
    }
}

fn run_new(args: &NewArgs, printer: Printer) -> anyhow::Result<ExitCode> {
    let start = Url::parse(&args.url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .ok_or_else(|| {
            UsageError(format!(
                "{}: not an http(s) URL; give the site's start page, like https://www.example.org/",
                args.url
            ))
        })?;
    if args.pages < 2 || args.pages > 1000 {
        return Err(UsageError(format!("--pages {}: give 2 to 1000", args.pages)).into());
    }
    let name = args
        .name
        .clone()
        .unwrap_or_else(|| glaneur::urls::host_key(&start).unwrap_or_default());
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("seeds").join(format!("{}.toml", name.replace(':', "_"))));
    if out.exists() && !args.force {
        return Err(UsageError(format!(
            "{} exists; give another --out, or --force to overwrite it",
            out.display()
        ))
        .into());
    }
    let options = NewOptions {
        start,
        name: args.name.clone(),
        pages: args.pages,
        policy: load_policy(args.fetch.policy.as_deref())?,
        resolve: resolve_list(&args.fetch.resolve)?,
    };
    printer.info(format_args!(
        "sampling {} ({} pages at most, {} request(s)/s)…",
        options.start,
        options.pages,
        profile::host_policy(
            &options.policy,
            &glaneur::urls::host_key(&options.start).unwrap_or_default()
        )
        .requests_per_second
    ));
    let inferred = runtime()?.block_on(profile::infer(&options))?;
    let text = write::to_toml(&inferred);
    // The file must load as a profile: refuse to write one that would not.
    SiteProfile::parse(&text, &out).context("the written profile does not load (a bug)")?;
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(&out, &text).with_context(|| format!("cannot write {}", out.display()))?;
    let mut table = format!(
        "{:<10} {:<44} {:>9}  example\n",
        "field", "selector", "agreement"
    );
    for field in Field::ALL {
        let Some(choice) = inferred.selectors.get(&field) else {
            continue;
        };
        let agreement = if choice.total > 0 && (choice.agree > 0 || choice.selector.is_some()) {
            format!("{}/{}", choice.agree, choice.total)
        } else {
            "-".into()
        };
        table.push_str(&format!(
            "{:<10} {:<44} {:>9}  {}\n",
            field.key(),
            choice.selector.as_deref().unwrap_or("(empty: generic)"),
            agreement,
            write::short(choice.example.as_deref().unwrap_or(""), 50)
        ));
    }
    printer.out(table.as_bytes())?;
    printer.info(format_args!(
        "wrote {}: {} pages sampled ({} articles), {} requests in {:.1} s at {} request(s)/s, inference {:.1} s; article = {}",
        out.display(),
        inferred.pages,
        inferred.articles,
        inferred.requests,
        inferred.sampling.as_secs_f64(),
        inferred.rate,
        (inferred.elapsed - inferred.sampling).as_secs_f64(),
        inferred.article.as_deref().unwrap_or("(none)")
    ));
    for url in &inferred.article_conflicts {
        printer.warn(format_args!(
            "the article regex also matches {url}, which did not look like an article: check it"
        ));
    }
    Ok(ExitCode::Success)
}

fn run_check(args: &CheckArgs, printer: Printer) -> anyhow::Result<ExitCode> {
    let printer = printer.with_json(args.json);
    for path in &args.profiles {
        if !path.exists() {
            return Err(
                UsageError(format!("{}: no such file or directory", path.display())).into(),
            );
        }
    }
    let profiles = load_profiles(&args.profiles).map_err(|e| UsageError(e.to_string()))?;
    if args.pages == 0 {
        return Err(UsageError("--pages 0: give 1 or more".into()).into());
    }
    let policy = load_policy(args.fetch.policy.as_deref())?;
    let resolve = resolve_list(&args.fetch.resolve)?;
    let runtime = runtime()?;
    let mut code = ExitCode::Success;
    for site in &profiles {
        let health = runtime
            .block_on(profile::check::check(site, &policy, &resolve, args.pages))
            .with_context(|| format!("profile {}", site.name))?;
        if health.articles.is_empty() {
            printer.error(format_args!(
                "{}: no article could be fetched to check (feeds, sitemaps and start pages gave none)",
                site.name
            ));
            code = ExitCode::Fatal;
        } else if !health.healthy && code == ExitCode::Success {
            code = ExitCode::ProfileBroken;
        }
        if args.json {
            printer.out_json_line(&health)?;
            continue;
        }
        let mut text = format!(
            "{} ({}): {} recent article(s) checked, {}\n",
            health.name,
            health.file,
            health.articles.len(),
            if health.healthy { "healthy" } else { "BROKEN" }
        );
        for f in &health.fields {
            text.push_str(&format!(
                "  {:<10} {:<44} {:>2}/{:<2} {}\n",
                f.field,
                f.selector,
                f.ok,
                f.checked,
                if f.broken { "BROKEN" } else { "ok" }
            ));
            if let Some(problem) = &f.problem {
                let fix = f
                    .suggestion
                    .as_deref()
                    .map(|s| format!("; suggested replacement: {} = \"{s}\"", f.field))
                    .unwrap_or_else(|| {
                        "; no replacement found: remove it to let the generic extractor decide"
                            .into()
                    });
                text.push_str(&format!("    {problem}{fix}\n"));
            }
        }
        printer.out(text.as_bytes())?;
    }
    Ok(code)
}
