//! A provider publishes a service in the registry of a real dev chain; consumers read it;
//! strangers cannot change it.

use osiris_chain::{
    account::to_ink,
    contract::find_event,
    types::registry::{InstanceGroup, OrgMetadata, RegistryError, ServiceCreated, ServiceMetadata},
    ChainError, ContractError,
};
use osiris_e2e::{actor, Osiris};

#[tokio::test]
async fn a_provider_publishes_a_service_and_a_stranger_cannot_touch_it() {
    let osiris = Osiris::start().await;
    let registry = osiris.registry();
    let (alice, bob, eve) = (actor("//Alice"), actor("//Bob"), actor("//Eve"));
    let bob_id = osiris_chain::account::account_of(&bob);
    let charlie_id = osiris_chain::account::account_of(&actor("//Charlie"));

    // Alice creates "acme" with Bob as a member; Bob publishes a service paid to Charlie.
    let metadata = OrgMetadata { name: "Acme AI".into(), uri: "ipfs://acme".into(), content_hash: [9; 32] };
    registry.create_org(&alice, "acme", metadata.clone(), std::slice::from_ref(&bob_id)).await.unwrap();
    let group = InstanceGroup {
        id: "eu".into(),
        payment_recipient: to_ink(&charlie_id),
        endpoints: vec!["http://10.0.0.5:7000".into()],
    };
    let price =
        ServiceMetadata { name: "Translate".into(), uri: String::new(), content_hash: [0; 32], price_per_call: 1_000 };
    let created = registry.create_service(&bob, "acme", "translate", price.clone(), vec![group.clone()]).await.unwrap();
    let event: ServiceCreated = find_event(&created.events, registry.address()).expect("a ServiceCreated event");
    assert_eq!(
        (event.org_id.as_str(), event.service_id.as_str(), event.groups),
        ("acme", "translate", vec![group.clone()])
    );

    // Anyone reads it.
    let org = registry.get_org("acme").await.unwrap().unwrap();
    assert_eq!(
        (org.metadata, org.members, org.services),
        (metadata, vec![to_ink(&bob_id)], vec!["translate".to_string()])
    );
    let service = registry.get_service("acme", "translate").await.unwrap().unwrap();
    assert_eq!(service.metadata.price_per_call, 1_000);
    assert_eq!(registry.list_services("acme").await.unwrap().unwrap(), vec![service.clone()]);
    assert_eq!(registry.list_orgs().await.unwrap(), vec!["acme".to_string()]);

    // Bob adds an endpoint; Eve may not, and her attempt changes nothing.
    registry.add_endpoints(&bob, "acme", "translate", "eu", vec!["http://10.0.0.6:7000".into()]).await.unwrap();
    let refused = registry.add_endpoints(&eve, "acme", "translate", "eu", vec!["http://evil:1".into()]).await;
    assert!(
        matches!(refused, Err(ChainError::Contract(ContractError::Registry(RegistryError::NotAuthorized)))),
        "{refused:?}"
    );
    let endpoints = registry.get_service("acme", "translate").await.unwrap().unwrap().groups[0].endpoints.clone();
    assert_eq!(endpoints, vec!["http://10.0.0.5:7000".to_string(), "http://10.0.0.6:7000".to_string()]);

    // Only the owner deletes; then it is gone.
    let refused = registry.delete_org(&bob, "acme").await;
    assert!(matches!(refused, Err(ChainError::Contract(ContractError::Registry(RegistryError::NotAuthorized)))));
    registry.delete_org(&alice, "acme").await.unwrap();
    assert_eq!(registry.get_service("acme", "translate").await.unwrap(), None);
    assert_eq!(registry.get_org("acme").await.unwrap(), None);
}
