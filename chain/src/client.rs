//! [`Chain`]: a subxt client that calls contracts the careful way: dry-run
//! first (runtime API `ContractsApi_call`) for gas and for the contract's typed
//! error, then submit and wait for finality.

use crate::{
    account::account_of,
    contract::{decode_return, ContractEvent},
    contracts_api::{
        CallRequest, Code, ContractResult, DispatchError, ExecReturnValue, InstantiateRequest, InstantiateReturnValue,
    },
    node::runtime::{self, runtime_types},
    AccountId, Balance, ChainError, ContractError, Signer,
};
use parity_scale_codec::{Decode, Encode};
use serde::Serialize;
use subxt::{utils::MultiAddress, OnlineClient, PolkadotConfig};

/// pallet-contracts' return flag that says the contract reverted (returned `Err`).
const FLAG_REVERT: u32 = 1;

/// Computational and storage-proof weight, as pallet-contracts measures gas.
/// Extra gas a call is given over what its dry run required, percent: a message whose work
/// depends on the block it runs in (rent accrued up to now, say) may need a little more in
/// the block that includes it than in the dry run's; unused gas is refunded.
pub const GAS_MARGIN_PERCENT: u64 = 10;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Weight {
    /// Picoseconds of reference execution time.
    pub ref_time: u64,
    /// Bytes of storage proof.
    pub proof_size: u64,
}

/// What a dry run of a message said.
#[derive(Debug, Clone)]
pub struct DryRun {
    /// Gas to give the real call.
    pub gas_required: Weight,
    /// The message's SCALE-encoded return (`Result<R, LangError>`).
    pub data: Vec<u8>,
    /// Whether the contract reverted (its message returned `Err`).
    pub reverted: bool,
}

/// A finalized successful contract call.
#[derive(Debug, Clone)]
pub struct CallOutcome<T> {
    /// The message's return value as the dry run computed it.
    pub value: T,
    /// Gas the dry run required (the call was given [`GAS_MARGIN_PERCENT`] more).
    pub gas: Weight,
    /// Number of the finalized block that holds the extrinsic.
    pub block_number: u64,
    /// Events contracts emitted in this extrinsic, in order.
    pub events: Vec<ContractEvent>,
}

/// What a batch of contract calls did ([`Chain::call_batch`]); indices are those of the
/// calls given.
#[derive(Debug, Clone)]
pub struct BatchOutcome {
    /// Calls submitted (their dry runs passed).
    pub included: Vec<usize>,
    /// Calls left out: their dry runs reverted.
    pub skipped: Vec<usize>,
    /// Submitted calls that failed on chain (rolled back alone), with the dispatch error.
    pub failed: Vec<(usize, String)>,
    /// The included calls' dry-run gas, summed.
    pub gas: Weight,
    /// The finalized block holding the batch; `None` when nothing was submitted.
    pub block_number: Option<u64>,
    /// Events the contracts emitted, in order.
    pub events: Vec<ContractEvent>,
}

/// Longest a first connection to a node may take (reachability probe, RPC handshake and
/// the runtime metadata download) before it fails with [`ChainError::Unreachable`].
pub const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// Longest the reachability probe (a TCP connection to the node's host and port) may take.
pub const PROBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// A subxt client for the node at `url` (`ws://` or `wss://`): subxt's reconnecting RPC client
/// under the legacy RPC backend (`chain_*`, `state_*`, `author_*` methods). On this node the
/// legacy backend answers a block's events in under a millisecond where the default
/// `chainHead_v1` backend takes about 90 ms (measured here: see the indexer benchmark).
///
/// The reconnecting client retries forever, so the first connection is checked first: the
/// node's host and port must accept a TCP connection within [`PROBE_TIMEOUT`] and the whole
/// handshake must finish within [`CONNECT_TIMEOUT`]; otherwise [`ChainError::Unreachable`]
/// names the URL and the cause (refused, unknown host, timeout, bad URL).
pub async fn online_client(url: &str) -> Result<OnlineClient<PolkadotConfig>, ChainError> {
    probe(url).await?;
    let unreachable = |reason: String| ChainError::Unreachable { url: url.to_string(), reason };
    let connect = async {
        let rpc = subxt::rpcs::client::ReconnectingRpcClient::builder()
            .build(url)
            .await
            .map_err(|e| unreachable(e.to_string()))?;
        let backend = subxt::backend::LegacyBackend::<PolkadotConfig>::builder().build(rpc);
        OnlineClient::from_backend(std::sync::Arc::new(backend))
            .await
            .map_err(|e| ChainError::Rpc(format!("{url}: {e}")))
    };
    tokio::time::timeout(CONNECT_TIMEOUT, connect).await.map_err(|_| {
        unreachable(format!(
            "no RPC answer within {} s (is it a Substrate node's RPC port? for wss://, is its certificate valid?)",
            CONNECT_TIMEOUT.as_secs()
        ))
    })?
}

/// Checks that `url`'s host and port accept a TCP connection, naming the cause if not.
async fn probe(url: &str) -> Result<(), ChainError> {
    let unreachable = |reason: String| ChainError::Unreachable { url: url.to_string(), reason };
    let (default_port, rest) = if let Some(rest) = url.strip_prefix("ws://") {
        (80, rest)
    } else if let Some(rest) = url.strip_prefix("wss://") {
        (443, rest)
    } else {
        return Err(unreachable("the URL must start with ws:// or wss://".into()));
    };
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    // `[v6]:port`, `[v6]`, `host:port` or `host`.
    let (host, port) = match authority.strip_prefix('[').and_then(|v6| v6.split_once(']')) {
        Some((host, port)) => (host, port.strip_prefix(':')),
        None => match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    let port = match port {
        Some(port) => port.parse::<u16>().map_err(|_| unreachable(format!("`{port}` is not a port")))?,
        None => default_port,
    };
    if host.is_empty() {
        return Err(unreachable("the URL has no host".into()));
    }
    match tokio::time::timeout(PROBE_TIMEOUT, tokio::net::TcpStream::connect((host, port))).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            Err(unreachable("connection refused (is the node running? `scripts/dev-chain.sh start`)".into()))
        }
        Ok(Err(e)) => Err(unreachable(e.to_string())),
        Err(_) => Err(unreachable(format!("no TCP answer within {} s", PROBE_TIMEOUT.as_secs()))),
    }
}

/// A connection to a node.
#[derive(Clone)]
pub struct Chain {
    api: OnlineClient<PolkadotConfig>,
    url: String,
}

impl Chain {
    /// Connects to a node's RPC (`ws://` on loopback or `wss://`).
    pub async fn connect(url: &str) -> Result<Self, ChainError> {
        Ok(Self { api: online_client(url).await?, url: url.to_string() })
    }

    /// The underlying subxt client.
    pub fn api(&self) -> &OnlineClient<PolkadotConfig> {
        &self.api
    }

    /// The URL this client connected to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The chain's genesis hash, 0x-hex.
    pub async fn genesis_hash(&self) -> Result<String, ChainError> {
        let at = self.api.at_current_block().await.map_err(ChainError::rpc)?;
        let hash = at.genesis_hash().ok_or_else(|| ChainError::Rpc("no genesis hash".into()))?;
        Ok(format!("{hash:?}"))
    }

    /// Number of the latest finalized block.
    pub async fn block_number(&self) -> Result<u64, ChainError> {
        Ok(self.api.at_current_block().await.map_err(ChainError::rpc)?.block_number())
    }

    /// Free balance of an account in planck (0 if the account does not exist).
    pub async fn free_balance(&self, account: &AccountId) -> Result<Balance, ChainError> {
        let at = self.api.at_current_block().await.map_err(ChainError::rpc)?;
        let query = runtime::storage().system().account();
        let info =
            at.storage().try_fetch(query, (crate::account::to_subxt(account),)).await.map_err(ChainError::rpc)?;
        match info {
            Some(value) => Ok(value
                .decode()
                .map_err(|e| ChainError::Decode { what: "account info", reason: e.to_string() })?
                .data
                .free),
            None => Ok(0),
        }
    }

    /// Dry-runs message `data` on `contract` as `origin` sending `value` planck.
    /// Fails only if the runtime refuses it (trap, unknown contract, …); a contract `Err` is `reverted`.
    pub async fn dry_run(
        &self,
        origin: &AccountId,
        contract: &AccountId,
        value: Balance,
        data: Vec<u8>,
    ) -> Result<DryRun, ChainError> {
        let request = CallRequest {
            origin: *origin,
            dest: *contract,
            value,
            gas_limit: None,
            storage_deposit_limit: None,
            input_data: data,
        };
        let result: ContractResult<ExecReturnValue> = self.runtime_api("ContractsApi_call", request.encode()).await?;
        let gas_required =
            Weight { ref_time: result.gas_required.ref_time, proof_size: result.gas_required.proof_size };
        match result.result {
            Ok(ret) => Ok(DryRun { gas_required, data: ret.data, reverted: ret.flags & FLAG_REVERT != 0 }),
            Err(e) => Err(ChainError::Dispatch(self.describe_dispatch_error(e).await)),
        }
    }

    /// Reads a message's return value without submitting anything (origin: the zero account).
    pub async fn query<R: Decode>(
        &self,
        contract: &AccountId,
        data: Vec<u8>,
        what: &'static str,
    ) -> Result<R, ChainError> {
        let dry = self.dry_run(&AccountId::from([0u8; 32]), contract, 0, data).await?;
        decode_return(&dry.data, what)
    }

    /// Calls a message that returns `Result<T, E>`: dry-runs it (a contract `Err` is returned as
    /// [`ChainError::Contract`] and nothing is submitted), then submits it with the dry run's gas
    /// and waits until it is in a finalized block.
    pub async fn call<T: Decode, E: Decode + Into<ContractError>>(
        &self,
        signer: &Signer,
        contract: &AccountId,
        value: Balance,
        data: Vec<u8>,
        what: &'static str,
    ) -> Result<CallOutcome<T>, ChainError> {
        let dry = self.dry_run(&account_of(signer), contract, value, data.clone()).await?;
        let result: Result<T, E> = decode_return(&dry.data, what)?;
        let value_out = result.map_err(|e| ChainError::Contract(e.into()))?;
        let CallOutcome { gas, block_number, events, .. } =
            self.submit_with_gas(signer, contract, value, data, dry.gas_required).await?;
        Ok(CallOutcome { value: value_out, gas, block_number, events })
    }

    /// Submits message `data` to `contract` without refusing on the dry run's answer (the dry run
    /// only supplies the gas), so that the contract itself decides on chain. A contract that
    /// returns `Err` makes the extrinsic fail with `Contracts::ContractReverted`
    /// ([`ChainError::Dispatch`]) and its state changes are rolled back. For tests and audits.
    pub async fn submit_call(
        &self,
        signer: &Signer,
        contract: &AccountId,
        value: Balance,
        data: Vec<u8>,
    ) -> Result<CallOutcome<()>, ChainError> {
        let gas = self.dry_run(&account_of(signer), contract, value, data.clone()).await?.gas_required;
        self.submit_with_gas(signer, contract, value, data, gas).await
    }

    /// Submits a `Contracts::call` extrinsic with the dry run's `gas` plus
    /// [`GAS_MARGIN_PERCENT`] (no storage deposit limit); the outcome reports `gas` itself.
    async fn submit_with_gas(
        &self,
        signer: &Signer,
        contract: &AccountId,
        value: Balance,
        data: Vec<u8>,
        gas: Weight,
    ) -> Result<CallOutcome<()>, ChainError> {
        let with_margin = |v: u64| v.saturating_add(v / 100 * GAS_MARGIN_PERCENT);
        let limit = runtime_types::sp_weights::weight_v2::Weight {
            ref_time: with_margin(gas.ref_time),
            proof_size: with_margin(gas.proof_size),
        };
        let tx = runtime::transactions().contracts().call(
            MultiAddress::Id(crate::account::to_subxt(contract)),
            value,
            limit,
            None,
            data,
        );
        let (block_number, events) = self.submit(signer, &tx).await?;
        Ok(CallOutcome { value: (), gas, block_number, events })
    }

    /// Submits every message of `calls` (contract, SCALE-encoded message) in one extrinsic,
    /// `Utility::force_batch`: each runs with its own dry run's gas (plus
    /// [`GAS_MARGIN_PERCENT`]); one that reverts is rolled back alone and the rest still run.
    /// Messages whose dry run reverts are left out (their indices in `skipped`). Waits for
    /// finality. Errors: RPC, or the batch extrinsic itself failing ([`ChainError::Dispatch`]).
    pub async fn call_batch(
        &self,
        signer: &Signer,
        calls: Vec<(AccountId, Vec<u8>)>,
    ) -> Result<BatchOutcome, ChainError> {
        use runtime_types::contracts_node_runtime::RuntimeCall;
        use runtime_types::pallet_contracts::pallet::Call as ContractsCall;
        let origin = account_of(signer);
        let with_margin = |v: u64| v.saturating_add(v / 100 * GAS_MARGIN_PERCENT);
        let (mut batch, mut included, mut skipped) = (Vec::new(), Vec::new(), Vec::new());
        let mut gas = Weight { ref_time: 0, proof_size: 0 };
        for (i, (contract, data)) in calls.into_iter().enumerate() {
            let dry = self.dry_run(&origin, &contract, 0, data.clone()).await?;
            if dry.reverted {
                skipped.push(i);
                continue;
            }
            gas.ref_time = gas.ref_time.saturating_add(dry.gas_required.ref_time);
            gas.proof_size = gas.proof_size.saturating_add(dry.gas_required.proof_size);
            batch.push(RuntimeCall::Contracts(ContractsCall::call {
                dest: MultiAddress::Id(crate::account::to_subxt(&contract)),
                value: 0,
                gas_limit: runtime_types::sp_weights::weight_v2::Weight {
                    ref_time: with_margin(dry.gas_required.ref_time),
                    proof_size: with_margin(dry.gas_required.proof_size),
                },
                storage_deposit_limit: None,
                data,
            }));
            included.push(i);
        }
        if batch.is_empty() {
            return Ok(BatchOutcome {
                included,
                skipped,
                failed: Vec::new(),
                gas,
                block_number: None,
                events: Vec::new(),
            });
        }
        let tx = runtime::transactions().utility().force_batch(batch);
        let (block_number, events) = self.submit_finalized(signer, &tx).await?;
        let mut emitted = Vec::new();
        let mut failed = Vec::new();
        let mut item = 0usize;
        for event in events.iter() {
            let event = event.map_err(ChainError::rpc)?;
            if let Some(e) = event.decode_fields_as::<runtime::contracts::events::ContractEmitted>() {
                let e = e.map_err(ChainError::rpc)?;
                let topics = event.topics().iter().map(|t| t.0).collect();
                emitted.push(ContractEvent { contract: AccountId(e.contract.0), topics, data: e.data });
            } else if event.decode_fields_as::<runtime::utility::events::ItemCompleted>().is_some() {
                item += 1;
            } else if let Some(e) = event.decode_fields_as::<runtime::utility::events::ItemFailed>() {
                let reason = e.map(|e| format!("{:?}", e.error)).unwrap_or_else(|e| e.to_string());
                failed.push((included[item], reason));
                item += 1;
            }
        }
        Ok(BatchOutcome { included, skipped, failed, gas, block_number: Some(block_number), events: emitted })
    }

    /// The chain's existential deposit in planck: the part of an account's free balance it cannot spend.
    pub async fn existential_deposit(&self) -> Result<Balance, ChainError> {
        let at = self.api.at_current_block().await.map_err(ChainError::rpc)?;
        at.constants().entry(runtime::constants().balances().existential_deposit()).map_err(ChainError::rpc)
    }

    /// Uploads `code` and instantiates it with constructor call `data`; returns the new contract's
    /// account and the block number. Dry-runs first like [`Chain::call`].
    pub async fn instantiate(
        &self,
        signer: &Signer,
        code: Vec<u8>,
        data: Vec<u8>,
        salt: Vec<u8>,
    ) -> Result<(AccountId, u64), ChainError> {
        let request = InstantiateRequest {
            origin: account_of(signer),
            value: 0,
            gas_limit: None,
            storage_deposit_limit: None,
            code: Code::Upload(code.clone()),
            data: data.clone(),
            salt: salt.clone(),
        };
        let dry: ContractResult<InstantiateReturnValue> =
            self.runtime_api("ContractsApi_instantiate", request.encode()).await?;
        let gas = dry.gas_required;
        match dry.result {
            Err(e) => return Err(ChainError::Dispatch(self.describe_dispatch_error(e).await)),
            Ok(ret) if ret.result.flags & FLAG_REVERT != 0 => {
                return Err(ChainError::Dispatch("the constructor reverted".into()))
            }
            Ok(_) => {}
        }
        let tx = runtime::transactions().contracts().instantiate_with_code(
            0,
            runtime_types::sp_weights::weight_v2::Weight { ref_time: gas.ref_time, proof_size: gas.proof_size },
            None,
            code,
            data,
            salt,
        );
        let (block_number, events) = self.submit_finalized(signer, &tx).await?;
        let instantiated = events
            .find_first::<runtime::contracts::events::Instantiated>()
            .ok_or(ChainError::MissingEvent("Contracts::Instantiated"))?
            .map_err(ChainError::rpc)?;
        Ok((AccountId(instantiated.contract.0), block_number))
    }

    /// Signs and submits `tx`, waits until it is in a finalized block and succeeded;
    /// returns the block number and the contract events of the extrinsic.
    pub async fn submit<Call: subxt::transactions::Payload>(
        &self,
        signer: &Signer,
        tx: &Call,
    ) -> Result<(u64, Vec<ContractEvent>), ChainError> {
        let (block_number, events) = self.submit_finalized(signer, tx).await?;
        let mut emitted = Vec::new();
        for event in events.iter() {
            let event = event.map_err(ChainError::rpc)?;
            if let Some(e) = event.decode_fields_as::<runtime::contracts::events::ContractEmitted>() {
                let e = e.map_err(ChainError::rpc)?;
                let topics = event.topics().iter().map(|t| t.0).collect();
                emitted.push(ContractEvent { contract: AccountId(e.contract.0), topics, data: e.data });
            }
        }
        Ok((block_number, emitted))
    }

    /// Signs and submits `tx` and waits until it is in a finalized block; returns the block number
    /// and the extrinsic's events, or [`ChainError::Dispatch`] if the extrinsic failed.
    async fn submit_finalized<Call: subxt::transactions::Payload>(
        &self,
        signer: &Signer,
        tx: &Call,
    ) -> Result<(u64, subxt::extrinsics::ExtrinsicEvents<PolkadotConfig>), ChainError> {
        let at = self.api.at_current_block().await.map_err(ChainError::rpc)?;
        let progress =
            at.transactions().sign_and_submit_then_watch_default(tx, signer).await.map_err(ChainError::rpc)?;
        let in_block = progress.wait_for_finalized().await.map_err(ChainError::rpc)?;
        let events = in_block.wait_for_success().await.map_err(|e| ChainError::Dispatch(e.to_string()))?;
        let block_number = in_block.at().await.map_err(ChainError::rpc)?.block_number();
        Ok((block_number, events))
    }

    /// Calls runtime API `function` with SCALE-encoded `args` at the current block and decodes the answer.
    async fn runtime_api<R: Decode>(&self, function: &'static str, args: Vec<u8>) -> Result<R, ChainError> {
        let at = self.api.at_current_block().await.map_err(ChainError::rpc)?;
        let bytes = at.runtime_apis().call_raw(function, Some(&args)).await.map_err(ChainError::rpc)?;
        R::decode(&mut &bytes[..]).map_err(|e| ChainError::Decode { what: function, reason: e.to_string() })
    }

    /// A readable name for a runtime dispatch error: `Pallet::Error` for module errors
    /// (e.g. `Contracts::ContractTrapped`), the variant otherwise.
    async fn describe_dispatch_error(&self, error: DispatchError) -> String {
        match error {
            DispatchError::Module { pallet, error } => {
                let named = self.api.at_current_block().await.ok().and_then(|at| {
                    let metadata = at.metadata();
                    let p = metadata.pallet_by_error_index(pallet)?;
                    Some(format!("{}::{}", p.name(), p.error_variant_by_index(error)?.name))
                });
                named.unwrap_or_else(|| format!("Module {{ pallet: {pallet}, error: {error} }}"))
            }
            DispatchError::Other(name) => name.to_string(),
        }
    }

    /// Transfers `amount` planck of free balance (to fund fresh accounts in tests and demos).
    pub async fn transfer(&self, signer: &Signer, to: &AccountId, amount: Balance) -> Result<(), ChainError> {
        let tx = runtime::transactions()
            .balances()
            .transfer_keep_alive(MultiAddress::Id(crate::account::to_subxt(to)), amount);
        self.submit(signer, &tx).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_unreachable_node_is_named_with_its_cause_within_seconds() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let started = std::time::Instant::now();
        let refused = online_client(&format!("ws://127.0.0.1:{port}")).await.err().unwrap();
        assert!(refused.to_string().contains("connection refused"), "{refused}");
        assert!(refused.to_string().contains(&format!("ws://127.0.0.1:{port}")), "{refused}");
        let unknown = online_client("ws://no-such-host.invalid:9944").await.err().unwrap();
        assert!(matches!(unknown, ChainError::Unreachable { .. }), "{unknown}");
        for bad in ["http://127.0.0.1:9944", "ws://127.0.0.1:x", "ws://"] {
            assert!(matches!(online_client(bad).await.err().unwrap(), ChainError::Unreachable { .. }), "{bad}");
        }
        // Something that accepts TCP but never speaks RPC: the handshake times out.
        let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("ws://{}", silent.local_addr().unwrap());
        let timeout = online_client(&url).await.err().unwrap();
        assert!(timeout.to_string().contains("no RPC answer"), "{timeout}");
        assert!(started.elapsed() < CONNECT_TIMEOUT + std::time::Duration::from_secs(5));
    }
}
