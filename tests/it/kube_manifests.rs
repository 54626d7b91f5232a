//! The manifests in `installers/kubernetes/` are what a user applies before using the Kubernetes runtime. Each
//! document must deserialise into the k8s-openapi type of its kind (which also checks `apiVersion` and `kind`), and
//! the Role must grant exactly the API calls viban makes: no more, so the user can trust it, and no fewer, so runs
//! do not fail with "forbidden".

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use anyhow::{Context, anyhow, bail, ensure};
use k8s_openapi::api::core::v1::{Namespace, Secret, ServiceAccount};
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../installers/kubernetes");
const NAMESPACE: &str = "viban";
const ROLE: &str = "viban-runs";
const CLIENT_ACCOUNT: &str = "viban";
const AGENT_ACCOUNT: &str = "viban-agent";
const GIT_SECRET: &str = "viban-git";

#[derive(Default)]
struct Manifests {
    namespaces: Vec<Namespace>,
    service_accounts: Vec<ServiceAccount>,
    roles: Vec<Role>,
    role_bindings: Vec<RoleBinding>,
    secrets: Vec<Secret>,
}

/// Splits a multi-document YAML file on lines that are exactly `---`.
fn documents(text: &str) -> Vec<String> {
    let mut docs = vec![String::new()];
    for line in text.lines() {
        if line == "---" {
            docs.push(String::new());
        } else if let Some(doc) = docs.last_mut() {
            doc.push_str(line);
            doc.push('\n');
        }
    }
    docs
}

fn is_blank(doc: &str) -> bool {
    doc.lines().map(str::trim).all(|line| line.is_empty() || line.starts_with('#'))
}

fn load() -> anyhow::Result<Manifests> {
    let mut paths = std::fs::read_dir(DIR)
        .with_context(|| format!("reading {DIR}"))?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<Result<Vec<PathBuf>, _>>()?;
    paths.retain(|path| path.extension().is_some_and(|ext| ext == "yaml"));
    paths.sort();
    ensure!(!paths.is_empty(), "no *.yaml in {DIR}");

    let mut found = Manifests::default();
    for path in &paths {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        for (index, doc) in documents(&text).iter().enumerate() {
            if is_blank(doc) {
                continue;
            }
            let what = format!("{}, document {}", path.display(), index + 1);
            let value: serde_json::Value = serde_saphyr::from_str(doc).map_err(|e| anyhow!("{what}: not YAML: {e}"))?;
            let kind = value.get("kind").and_then(serde_json::Value::as_str).unwrap_or_default().to_owned();
            let invalid = || format!("{what}: not a valid {kind}");
            match kind.as_str() {
                "Namespace" => found.namespaces.push(serde_json::from_value(value).with_context(invalid)?),
                "ServiceAccount" => found.service_accounts.push(serde_json::from_value(value).with_context(invalid)?),
                "Role" => found.roles.push(serde_json::from_value(value).with_context(invalid)?),
                "RoleBinding" => found.role_bindings.push(serde_json::from_value(value).with_context(invalid)?),
                "Secret" => found.secrets.push(serde_json::from_value(value).with_context(invalid)?),
                other => bail!("{what}: unexpected kind {other:?}"),
            }
        }
    }
    Ok(found)
}

/// What the Role grants: `resource[.group][:resourceName]` → verbs, merged over its rules.
fn granted(role: &Role) -> anyhow::Result<BTreeMap<String, BTreeSet<String>>> {
    let mut grants: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for rule in role.rules.iter().flatten() {
        ensure!(rule.non_resource_urls.is_none(), "a Role cannot grant nonResourceURLs: {rule:?}");
        let groups = rule.api_groups.as_deref().unwrap_or_default();
        let resources = rule.resources.as_deref().unwrap_or_default();
        ensure!(!groups.is_empty() && !resources.is_empty(), "rule without apiGroups or resources: {rule:?}");
        let names: Vec<Option<&str>> = match rule.resource_names.as_deref() {
            None => vec![None],
            Some(names) => names.iter().map(|name| Some(name.as_str())).collect(),
        };
        for group in groups {
            for resource in resources {
                for name in &names {
                    let mut key = if group.is_empty() { resource.clone() } else { format!("{resource}.{group}") };
                    if let Some(name) = name {
                        key = format!("{key}:{name}");
                    }
                    grants.entry(key).or_default().extend(rule.verbs.iter().cloned());
                }
            }
        }
    }
    Ok(grants)
}

fn expected_grants() -> BTreeMap<String, BTreeSet<String>> {
    [
        ("jobs.batch".to_owned(), &["create", "get", "list", "delete"][..]),
        ("pods".to_owned(), &["get", "list", "watch"][..]),
        ("pods/attach".to_owned(), &["create", "get"][..]),
        ("events".to_owned(), &["list"][..]),
        (format!("secrets:{GIT_SECRET}"), &["get"][..]),
    ]
    .into_iter()
    .map(|(key, verbs)| (key, verbs.iter().map(|verb| (*verb).to_owned()).collect()))
    .collect()
}

#[test]
fn kubernetes_manifests_deserialise_into_the_api_types() -> anyhow::Result<()> {
    let m = load()?;

    let namespaces: Vec<_> = m.namespaces.iter().filter_map(|ns| ns.metadata.name.as_deref()).collect();
    ensure!(namespaces == [NAMESPACE], "expected one Namespace {NAMESPACE:?}, found {namespaces:?}");
    let namespaced = m
        .service_accounts
        .iter()
        .map(|o| &o.metadata)
        .chain(m.roles.iter().map(|o| &o.metadata))
        .chain(m.role_bindings.iter().map(|o| &o.metadata))
        .chain(m.secrets.iter().map(|o| &o.metadata));
    for meta in namespaced {
        ensure!(
            meta.namespace.as_deref() == Some(NAMESPACE),
            "{:?} is in namespace {:?}, not {NAMESPACE:?}",
            meta.name,
            meta.namespace
        );
    }

    ensure!(m.roles.len() == 1, "expected exactly one Role, found {}", m.roles.len());
    let role = m.roles.first().context("no Role")?;
    ensure!(role.metadata.name.as_deref() == Some(ROLE), "the Role is {:?}, not {ROLE:?}", role.metadata.name);
    let grants = granted(role)?;
    let expected = expected_grants();
    ensure!(grants == expected, "the Role grants\n{grants:#?}\nbut viban needs exactly\n{expected:#?}");

    ensure!(m.role_bindings.len() == 1, "expected exactly one RoleBinding, found {}", m.role_bindings.len());
    let binding = m.role_bindings.first().context("no RoleBinding")?;
    let role_ref = &binding.role_ref;
    ensure!(
        role_ref.kind == "Role" && role_ref.name == ROLE && role_ref.api_group == "rbac.authorization.k8s.io",
        "the RoleBinding refers to {role_ref:?}, not Role {ROLE:?}"
    );
    let subjects = binding.subjects.as_deref().unwrap_or_default();
    ensure!(
        subjects.iter().any(|s| s.kind == "ServiceAccount"
            && s.name == CLIENT_ACCOUNT
            && s.namespace.as_deref() == Some(NAMESPACE)),
        "the RoleBinding does not bind ServiceAccount {CLIENT_ACCOUNT:?}: {subjects:?}"
    );
    ensure!(
        !subjects.iter().any(|s| s.name == AGENT_ACCOUNT),
        "the agent pods' ServiceAccount {AGENT_ACCOUNT:?} must have no Role: {subjects:?}"
    );

    let account = |name: &str| m.service_accounts.iter().find(|sa| sa.metadata.name.as_deref() == Some(name));
    account(CLIENT_ACCOUNT).with_context(|| format!("no ServiceAccount {CLIENT_ACCOUNT:?}"))?;
    let agent = account(AGENT_ACCOUNT).with_context(|| format!("no ServiceAccount {AGENT_ACCOUNT:?}"))?;
    ensure!(
        agent.automount_service_account_token == Some(false),
        "ServiceAccount {AGENT_ACCOUNT:?} must set automountServiceAccountToken: false, has {:?}",
        agent.automount_service_account_token
    );

    ensure!(m.secrets.len() == 1, "expected exactly one example Secret, found {}", m.secrets.len());
    let secret = m.secrets.first().context("no Secret")?;
    ensure!(secret.metadata.name.as_deref() == Some(GIT_SECRET), "the Secret is {:?}", secret.metadata.name);
    ensure!(secret.type_.as_deref() == Some("Opaque"), "the Secret's type is {:?}, not Opaque", secret.type_);
    let keys: BTreeSet<&str> = secret
        .string_data
        .iter()
        .flat_map(|data| data.keys())
        .chain(secret.data.iter().flat_map(|data| data.keys()))
        .map(String::as_str)
        .collect();
    ensure!(
        !keys.is_empty() && keys.iter().all(|key| [".git-credentials", "ssh-privatekey"].contains(key)),
        "the Secret's keys must be .git-credentials and/or ssh-privatekey, are {keys:?}"
    );
    Ok(())
}
