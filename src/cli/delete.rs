//! `sma delete --user ID`: what a Segment `delete` message does, by hand. The
//! user, their devices and everything derived from them are erased from the
//! configured store; report totals drop by what they counted.

use anyhow::Context;
use sma_app::App;
use sma_store::{Erased, Store};

use super::context;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The userId to erase (repeat for several).
    #[arg(long = "user", required = true)]
    users: Vec<String>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let settings = context::settings()?;
    let runtime = context::runtime()?;
    let erased = context::on_configured_store(settings, &runtime, Delete { args })?;
    println!("{}", serde_json::to_string_pretty(&erased)?);
    Ok(())
}

struct Delete {
    args: Args,
}

impl context::OnStore for Delete {
    type Output = Erased;

    fn run<S: Store>(
        self,
        runtime: &tokio::runtime::Runtime,
        app: &App<S>,
    ) -> anyhow::Result<Erased> {
        runtime.block_on(async {
            let mut erased = Erased::default();
            for user in &self.args.users {
                erased += app
                    .erase_user(user)
                    .await
                    .with_context(|| format!("cannot erase user {user:?}"))?;
            }
            Ok(erased)
        })
    }
}
