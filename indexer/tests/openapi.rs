//! A tool that knows only the indexer's OpenAPI document can trust it: for every
//! parameter of every operation, values generated from the parameter's schema are
//! accepted, values violating it are refused with 400 naming the parameter, and the
//! document's links lead from lists to the things listed.

mod common;

use common::{deployment_file, Indexer};
use osiris_chain::signing::channel::PaymentKey;
use osiris_chain::types::agreements::{ConditionKind, ConditionSpec};
use osiris_chain::{
    account::to_ink,
    types::registry::{InstanceGroup, OrgMetadata, ServiceMetadata},
    AccountId,
};
use osiris_contract_types::ddc::NodeId;
use osiris_e2e::{actor, actor_account as account, Osiris, TestDatabase, UNIT};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use reqwest::Url;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Values generated from each parameter's schema.
const VALID_SAMPLES: usize = 24;

#[tokio::test]
async fn every_value_the_document_allows_is_accepted_and_every_other_is_refused_by_name() {
    let osiris = Osiris::start().await;
    let db = TestDatabase::create().await;
    let dir = tempfile::tempdir().unwrap();
    let indexer = Indexer::start(&osiris, &db, &deployment_file(&osiris, dir.path())).await;
    let last_block = populate(&osiris).await;
    indexer.wait_for_block(last_block).await;

    let document = indexer.ok("/openapi.json").await;
    let operations = operations(&document);
    assert_eq!(operations.len(), 28, "every route is documented: {:?}", operations.keys());
    let mut runner = TestRunner::new(Config::default());
    let http = reqwest::Client::new();
    let (mut accepted, mut refused) = (0, 0);

    for (operation_id, op) in &operations {
        let path_params: Vec<&Value> = op.params.iter().filter(|p| p["in"] == "path").collect();
        for param in &op.params {
            let name = param["name"].as_str().unwrap();
            let schema = &param["schema"];
            let in_path = param["in"] == "path";
            // Other path parameters get one valid value each; query parameters are left out.
            let others = |runner: &mut TestRunner| -> Vec<(String, String)> {
                path_params
                    .iter()
                    .filter(|p| p["name"] != name)
                    .map(|p| (p["name"].as_str().unwrap().to_string(), sample(&p["schema"], runner)))
                    .collect()
            };
            for _ in 0..VALID_SAMPLES {
                let value = sample(schema, &mut runner);
                let mut values = others(&mut runner);
                values.push((name.to_string(), value.clone()));
                let (status, body) = send(&http, &indexer.url, op, &values).await;
                // A generated id names nothing that exists: 404 is the right answer for a get-one.
                let fine = status == 200 || (status == 404 && !path_params.is_empty() && body["error"].is_string());
                assert!(fine, "{operation_id}: {name}={value:?} is valid under {schema} but got {status}: {body}");
                accepted += 1;
            }
            for value in violations(schema, in_path) {
                let mut values = others(&mut runner);
                values.push((name.to_string(), value.clone()));
                let (status, body) = send(&http, &indexer.url, op, &values).await;
                assert_eq!(
                    (status, body["field"].as_str()),
                    (400, Some(name)),
                    "{operation_id}: {name}={value:?} violates {schema}: {body}"
                );
                refused += 1;
            }
        }
        // All of an operation's query parameters at once, each valid, pass together.
        for _ in 0..VALID_SAMPLES {
            let mut values: Vec<(String, String)> = op
                .params
                .iter()
                .map(|p| (p["name"].as_str().unwrap().to_string(), sample(&p["schema"], &mut runner)))
                .collect();
            values.retain(|(n, _)| n != "cursor" || rand_bool(&mut runner));
            let (status, body) = send(&http, &indexer.url, op, &values).await;
            assert!(
                status == 200 || (status == 404 && !path_params.is_empty()),
                "{operation_id} {values:?}: {status} {body}"
            );
        }
    }
    // 44+ parameters across the 26 operations, each with valid samples and several violations.
    assert!(accepted >= 44 * VALID_SAMPLES, "accepted {accepted}");
    assert!(refused >= 150, "refused {refused} (accepted {accepted})");

    // Following links from the lists reaches every get-one operation with 200.
    let mut reached = BTreeSet::new();
    let mut queue: VecDeque<(String, Vec<(String, String)>)> = operations
        .iter()
        .filter(|(_, op)| op.params.iter().all(|p| p["in"] != "path"))
        .map(|(id, _)| (id.clone(), Vec::new()))
        .collect();
    let mut links_followed = 0;
    while let Some((operation_id, values)) = queue.pop_front() {
        if !reached.insert(operation_id.clone()) {
            continue;
        }
        let op = &operations[&operation_id];
        let (status, body) = send(&http, &indexer.url, op, &values).await;
        assert_eq!(status, 200, "{operation_id} {values:?}: {body}");
        for (link_name, link) in op.links.iter() {
            let target = link["operationId"].as_str().unwrap();
            assert!(operations.contains_key(target), "link {link_name} names an unknown operation {target}");
            let target_params: BTreeSet<&str> =
                operations[target].params.iter().map(|p| p["name"].as_str().unwrap()).collect();
            let mut next = Vec::new();
            for (param, expression) in link["parameters"].as_object().unwrap() {
                assert!(target_params.contains(param.as_str()), "link {link_name}: {target} has no parameter {param}");
                let value = resolve(expression.as_str().unwrap(), &values, &body)
                    .unwrap_or_else(|| panic!("link {link_name}: {expression} does not resolve in {body}"));
                next.push((param.clone(), value));
            }
            links_followed += 1;
            queue.push_back((target.to_string(), next));
        }
    }
    let get_ones: BTreeSet<String> = operations
        .iter()
        .filter(|(_, op)| op.params.iter().any(|p| p["in"] == "path"))
        .map(|(id, _)| id.clone())
        .collect();
    assert!(get_ones.is_subset(&reached), "links reach {reached:?}, not all of {get_ones:?}");
    assert!(links_followed >= 10, "{links_followed} links followed");
}

/// An operation of the document: its path and parameters, and the links of its 200 answer.
struct Operation {
    path: String,
    params: Vec<Value>,
    links: BTreeMap<String, Value>,
}

fn operations(document: &Value) -> BTreeMap<String, Operation> {
    let mut all = BTreeMap::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            assert_eq!(method, "get", "the API is read-only");
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            for p in &params {
                assert!(p["schema"].is_object(), "{path}: parameter {} has a schema", p["name"]);
            }
            let links = op["responses"]["200"]["links"].as_object().cloned().unwrap_or_default().into_iter().collect();
            all.insert(
                op["operationId"].as_str().unwrap().to_string(),
                Operation { path: path.clone(), params, links },
            );
        }
    }
    all
}

/// GET the operation with these parameter values; the status and the JSON (or text) body.
async fn send(http: &reqwest::Client, base: &str, op: &Operation, values: &[(String, String)]) -> (u16, Value) {
    let mut url = Url::parse(base).unwrap();
    {
        let mut segments = url.path_segments_mut().unwrap();
        segments.clear();
        for segment in op.path.trim_start_matches('/').split('/') {
            match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => segments.push(&values.iter().find(|(n, _)| n == name).expect("every path parameter").1),
                None => segments.push(segment),
            };
        }
    }
    let in_path = |n: &str| op.path.contains(&format!("{{{n}}}"));
    let query: Vec<&(String, String)> = values.iter().filter(|(n, _)| !in_path(n)).collect();
    let response = http.get(url).query(&query).send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// One value valid under `schema`, generated from it.
fn sample(schema: &Value, runner: &mut TestRunner) -> String {
    let strategy = strategy(schema);
    strategy.new_tree(runner).unwrap().current()
}

fn rand_bool(runner: &mut TestRunner) -> bool {
    any::<bool>().new_tree(runner).unwrap().current()
}

/// The values of `schema`: each of `oneOf`, `enum` members, integers within bounds,
/// strings of the pattern, SS58 accounts for `format: ss58`.
fn strategy(schema: &Value) -> BoxedStrategy<String> {
    if let Some(branches) = schema["oneOf"].as_array() {
        let branches: Vec<BoxedStrategy<String>> = branches.iter().map(strategy).collect();
        return proptest::strategy::Union::new(branches).boxed();
    }
    if let Some(members) = schema["enum"].as_array() {
        let members: Vec<String> = members.iter().map(|m| m.as_str().unwrap().to_string()).collect();
        return proptest::sample::select(members).boxed();
    }
    match schema["type"].as_str() {
        Some("integer") => {
            let min = schema["minimum"].as_i64().unwrap_or(i64::MIN);
            let max = schema["maximum"].as_i64().unwrap_or(i64::MAX);
            prop_oneof![Just(min), Just(max), min..=max].prop_map(|n| n.to_string()).boxed()
        }
        Some("boolean") => any::<bool>().prop_map(|b| b.to_string()).boxed(),
        Some("string") if schema["format"] == "ss58" => {
            any::<[u8; 32]>().prop_map(|bytes| AccountId::from(bytes).to_string()).boxed()
        }
        Some("string") => {
            let pattern = schema["pattern"].as_str().expect("every string parameter states its pattern");
            let unanchored = pattern.trim_start_matches('^').trim_end_matches('$');
            let min = schema["minLength"].as_u64().unwrap_or(0) as usize;
            let max = schema["maxLength"].as_u64().map_or(usize::MAX, |m| m as usize);
            proptest::string::string_regex(unanchored)
                .unwrap()
                .prop_filter("within minLength..=maxLength", move |s| (min..=max).contains(&s.chars().count()))
                .boxed()
        }
        other => panic!("no generator for type {other:?} in {schema}"),
    }
}

/// Whether `value` is valid under `schema` as the document states it.
fn conforms(schema: &Value, value: &str) -> bool {
    if let Some(branches) = schema["oneOf"].as_array() {
        return branches.iter().any(|b| conforms(b, value));
    }
    if let Some(members) = schema["enum"].as_array() {
        return members.iter().any(|m| m == value);
    }
    match schema["type"].as_str() {
        Some("integer") => {
            value.bytes().all(|b| b.is_ascii_digit() || b == b'-')
                && value.parse::<i64>().is_ok_and(|n| {
                    n >= schema["minimum"].as_i64().unwrap_or(i64::MIN)
                        && n <= schema["maximum"].as_i64().unwrap_or(i64::MAX)
                })
        }
        Some("string") => {
            let pattern_ok = regex::Regex::new(schema["pattern"].as_str().unwrap()).unwrap().is_match(value);
            let len = value.chars().count() as u64;
            let length_ok = schema["minLength"].as_u64().is_none_or(|m| len >= m)
                && schema["maxLength"].as_u64().is_none_or(|m| len <= m);
            let format_ok = schema["format"] != "ss58" || value.parse::<AccountId>().is_ok();
            pattern_ok && length_ok && format_ok
        }
        _ => false,
    }
}

/// Values that violate `schema`: fixed edge cases kept only when they really violate it,
/// plus, for SS58, pattern-valid strings with a wrong checksum.
fn violations(schema: &Value, in_path: bool) -> Vec<String> {
    let mut candidates: Vec<String> =
        ["", "!", "a b", "0x12", "Nope", "-1", "1.5", "x", "9223372036854775808", "99999999999999999999.1", "..."]
            .into_iter()
            .map(String::from)
            .collect();
    candidates.push("z".repeat(schema["maxLength"].as_u64().unwrap_or(64) as usize + 1));
    if let Some(max) = schema["maximum"].as_i64() {
        candidates.push((i128::from(max) + 1).to_string());
    }
    if let Some(min) = schema["minimum"].as_i64() {
        candidates.push((i128::from(min) - 1).to_string());
    }
    if schema["format"] == "ss58" || schema["oneOf"].is_array() {
        // Flip the last character of a real account: base58 still, the checksum no longer.
        let mut account = AccountId::from([7u8; 32]).to_string();
        let last = account.pop().unwrap();
        account.push(if last == 'a' { 'b' } else { 'a' });
        candidates.push(account);
        candidates.push("1".repeat(48));
    }
    candidates
        .into_iter()
        // An empty path segment is another route (a 404), not a bad value.
        .filter(|v| !(in_path && v.is_empty()))
        .filter(|v| !conforms(schema, v))
        .collect()
}

/// Resolves an OpenAPI runtime expression (`$request.path.x`, `$request.query.x`,
/// `$response.body#/json/pointer`) against a request's values and its answer.
fn resolve(expression: &str, request: &[(String, String)], body: &Value) -> Option<String> {
    if let Some(name) = expression.strip_prefix("$request.path.").or(expression.strip_prefix("$request.query.")) {
        return request.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    }
    let pointer = expression.strip_prefix("$response.body#")?;
    match body.pointer(pointer)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A provider with an organization and a service; a consumer with a deposit and a channel to it.
/// Returns the last block written.
async fn populate(osiris: &Osiris) -> u64 {
    let (registry, escrow) = (osiris.registry(), osiris.escrow());
    let (alice, bob) = (actor("//Alice"), actor("//Bob"));
    let meta = OrgMetadata { name: "Acme AI".into(), uri: "ipfs://acme".into(), content_hash: [7; 32] };
    registry.create_org(&alice, "acme", meta, &[]).await.unwrap();
    let group = InstanceGroup {
        id: "eu".into(),
        payment_recipient: to_ink(&account("//Charlie")),
        endpoints: vec!["http://10.0.0.5:7000".into()],
    };
    let price =
        ServiceMetadata { name: "Translate".into(), uri: String::new(), content_hash: [0; 32], price_per_call: 1_000 };
    registry.create_service(&alice, "acme", "translate", price, vec![group]).await.unwrap();
    escrow.deposit(&bob, 10 * UNIT).await.unwrap();
    let key = PaymentKey::generate();
    let expiration = osiris.chain.block_number().await.unwrap() as u32 + 500;
    escrow.open_channel(&bob, key.signer_key(), &account("//Charlie"), "eu", 4 * UNIT, expiration).await.unwrap();
    // An agreement on an offer of acme/translate, paid for.
    let agreements = osiris.agreements();
    let spec = |kind, depends_on: &[u8], timeout| ConditionSpec {
        kind,
        depends_on: depends_on.to_vec(),
        time_lock: 0,
        timeout,
    };
    let template = vec![spec(ConditionKind::LockPayment, &[], 100), spec(ConditionKind::ReleasePayment, &[0], 200)];
    let template_id = agreements.create_template(&alice, template).await.unwrap().value;
    agreements.set_template_whitelisted(&alice, template_id, true).await.unwrap();
    let offer =
        agreements.create_offer(&alice, "acme", "translate", template_id, UNIT, vec![], None).await.unwrap().value;
    agreements.create_agreement(&bob, [3; 32], offer, &account("//Bob"), key.signer_key(), vec![], None).await.unwrap();
    agreements.lock_payment(&bob, [3; 32], UNIT).await.unwrap();
    // A ddc node of Charlie in Alice's cluster, and Bob's bucket there.
    let ddc = osiris.ddc();
    let charlie = actor("//Charlie");
    ddc.node_create(&charlie, 100, 1_000, "http://10.0.0.6:7000").await.unwrap();
    ddc.node_trust_manager(&charlie, &account("//Alice"), true).await.unwrap();
    let cluster = ddc.cluster_create(&alice, vec![NodeId(0), NodeId(0)], 10, 500).await.unwrap().value;
    let bucket = ddc.bucket_create(&bob, cluster, "docs").await.unwrap().value;
    ddc.account_deposit(&bob, UNIT).await.unwrap();
    ddc.bucket_alloc_into_cluster(&bob, bucket, 4).await.unwrap().block_number
}
