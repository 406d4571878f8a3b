//! Secrets from SSM Parameter Store. On AWS a function's environment names the
//! parameters that hold its secrets (`API_TOKEN_PARAMETER=/sma/prod/api-token`),
//! never the secrets themselves: anyone allowed `lambda:GetFunctionConfiguration`
//! can read an environment. Each is read and decrypted once, when the function
//! starts, and then looked up like any other setting (`API_TOKEN`).

use std::collections::HashMap;

use aws_sdk_ssm::Client;

use crate::Error;

/// `NAME_PARAMETER` holds the name of the SSM parameter whose value is `NAME`.
const SUFFIX: &str = "_PARAMETER";
/// GetParameters takes at most ten names per call.
const NAMES_PER_CALL: usize = 10;

/// The settings whose values live in SSM, as (setting, parameter name).
fn references(env: &HashMap<String, String>) -> Result<Vec<(String, String)>, Error> {
    let mut found = Vec::new();
    for (key, parameter) in env {
        let Some(setting) = key.strip_suffix(SUFFIX) else {
            continue;
        };
        if env.contains_key(setting) {
            return Err(format!("both {setting} and {key} are set; set only {key}").into());
        }
        if parameter.trim().is_empty() {
            return Err(format!("{key} is empty; it names an SSM parameter").into());
        }
        found.push((setting.to_owned(), parameter.trim().to_owned()));
    }
    found.sort();
    Ok(found)
}

/// Whether `env` names any secret in SSM (so a client is needed at all).
pub fn any_referenced(env: &HashMap<String, String>) -> bool {
    env.keys().any(|key| key.ends_with(SUFFIX))
}

/// `env` with the value of every `NAME_PARAMETER`'s parameter, decrypted, set as
/// `NAME`. A parameter that does not exist or cannot be read fails with its name.
pub async fn resolve(
    mut env: HashMap<String, String>,
    ssm: &Client,
) -> Result<HashMap<String, String>, Error> {
    let wanted = references(&env)?;
    for chunk in wanted.chunks(NAMES_PER_CALL) {
        let names: Vec<String> = chunk.iter().map(|(_, name)| name.clone()).collect();
        let answer = ssm
            .get_parameters()
            .set_names(Some(names))
            .with_decryption(true)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "reading secrets from SSM: {}",
                    aws_sdk_ssm::error::DisplayErrorContext(e)
                )
            })?;
        if let Some(missing) = answer.invalid_parameters().first() {
            return Err(format!("SSM parameter {missing} does not exist or cannot be read").into());
        }
        let values: HashMap<&str, &str> = answer
            .parameters()
            .iter()
            .filter_map(|p| Some((p.name()?, p.value()?)))
            .collect();
        for (setting, name) in chunk {
            let value = values
                .get(name.as_str())
                .ok_or_else(|| format!("SSM returned no value for {name}"))?;
            env.insert(setting.clone(), (*value).to_owned());
        }
    }
    Ok(env)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_secret_set_both_ways_or_named_empty_is_refused() {
        let both = env(&[("API_TOKEN", "x"), ("API_TOKEN_PARAMETER", "/sma/t")]);
        assert!(
            references(&both)
                .unwrap_err()
                .to_string()
                .contains("both API_TOKEN")
        );
        let empty = env(&[("API_TOKEN_PARAMETER", " ")]);
        assert!(
            references(&empty)
                .unwrap_err()
                .to_string()
                .contains("is empty")
        );
        let fine = env(&[("API_TOKEN_PARAMETER", "/sma/t"), ("STAGE", "prod")]);
        assert_eq!(
            references(&fine).unwrap(),
            vec![("API_TOKEN".to_owned(), "/sma/t".to_owned())]
        );
    }
}
