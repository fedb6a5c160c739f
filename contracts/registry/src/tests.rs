//! Off-chain unit tests of every registry message and error.

use crate::{Registry, RegistryError};
use ink::env::{test, DefaultEnvironment as Env};
use osiris_contract_types::{registry::*, AccountId};

fn accounts() -> test::DefaultAccounts<Env> {
    test::default_accounts::<Env>()
}

fn act_as(who: AccountId) {
    test::set_caller::<Env>(who);
}

fn org_meta(name: &str) -> OrgMetadata {
    OrgMetadata { name: name.into(), uri: "ipfs://org".into(), content_hash: [7; 32] }
}

fn service_meta(price: u128) -> ServiceMetadata {
    ServiceMetadata { name: "Translate".into(), uri: String::new(), content_hash: [0; 32], price_per_call: price }
}

fn group(id: &str, recipient: AccountId) -> InstanceGroup {
    InstanceGroup { id: id.into(), payment_recipient: recipient, endpoints: vec![format!("http://{id}.example:7000")] }
}

fn last_event<E: ink::scale::Decode>() -> E {
    let event = test::recorded_events().last().expect("an event");
    E::decode(&mut &event.data[..]).expect("event of this type")
}

fn event_count() -> usize {
    test::recorded_events().count()
}

/// Alice owns "acme" with bob as member, and a service "translate" with group "eu" paying charlie.
fn acme() -> Registry {
    let a = accounts();
    let mut registry = Registry::new();
    act_as(a.alice);
    registry.create_org("acme".into(), org_meta("Acme"), vec![a.bob]).unwrap();
    registry.create_service("acme".into(), "translate".into(), service_meta(10), vec![group("eu", a.charlie)]).unwrap();
    registry
}

#[ink::test]
fn creating_an_organization_records_owner_members_and_metadata() {
    let a = accounts();
    let registry = acme();
    let org = registry.get_org("acme".into()).unwrap();
    assert_eq!(org.owner, a.alice);
    assert_eq!(org.members, vec![a.bob]);
    assert_eq!(org.metadata, org_meta("Acme"));
    assert_eq!(org.services, vec!["translate".to_string()]);
    assert_eq!(registry.list_orgs(), vec!["acme".to_string()]);
    assert_eq!(registry.get_org("nope".into()), None);
}

#[ink::test]
fn organization_creation_errors() {
    let a = accounts();
    let mut registry = acme();
    let events = event_count();
    assert_eq!(registry.create_org("acme".into(), org_meta("x"), vec![]), Err(RegistryError::OrganizationExists));
    assert_eq!(registry.create_org("Acme Inc".into(), org_meta("x"), vec![]), Err(RegistryError::InvalidId));
    let long = OrgMetadata { name: "n".repeat(MAX_NAME_LEN + 1), ..org_meta("x") };
    assert_eq!(registry.create_org("other".into(), long, vec![]), Err(RegistryError::InvalidMetadata));
    assert_eq!(registry.create_org("other".into(), org_meta("x"), vec![a.alice]), Err(RegistryError::MemberExists));
    assert_eq!(
        registry.create_org("other".into(), org_meta("x"), vec![a.bob, a.bob]),
        Err(RegistryError::MemberExists)
    );
    let crowd: Vec<AccountId> = (0..=MAX_MEMBERS as u8).map(|i| AccountId::from([100 + i; 32])).collect();
    assert_eq!(registry.create_org("other".into(), org_meta("x"), crowd), Err(RegistryError::TooMany));
    assert_eq!(registry.list_orgs().len(), 1);
    assert_eq!(event_count(), events);
}

#[ink::test]
fn members_may_update_metadata_but_only_the_owner_removes_members() {
    let a = accounts();
    let mut registry = acme();
    act_as(a.bob);
    assert_eq!(registry.update_org_metadata("acme".into(), org_meta("Acme 2")), Ok(()));
    assert_eq!(last_event::<OrganizationMetadataUpdated>().metadata, org_meta("Acme 2"));
    assert_eq!(registry.add_org_members("acme".into(), vec![a.django]), Ok(()));
    assert_eq!(registry.remove_org_members("acme".into(), vec![a.django]), Err(RegistryError::NotAuthorized));
    assert_eq!(registry.change_org_owner("acme".into(), a.bob), Err(RegistryError::NotAuthorized));
    assert_eq!(registry.delete_org("acme".into()), Err(RegistryError::NotAuthorized));
    act_as(a.eve);
    assert_eq!(registry.update_org_metadata("acme".into(), org_meta("evil")), Err(RegistryError::NotAuthorized));
    assert_eq!(registry.add_org_members("acme".into(), vec![a.eve]), Err(RegistryError::NotAuthorized));
    act_as(a.alice);
    assert_eq!(registry.remove_org_members("acme".into(), vec![a.django]), Ok(()));
    assert_eq!(last_event::<MembersRemoved>().members, vec![a.django]);
    assert_eq!(registry.remove_org_members("acme".into(), vec![a.django]), Err(RegistryError::MemberNotFound));
    assert_eq!(registry.add_org_members("acme".into(), vec![a.bob]), Err(RegistryError::MemberExists));
    assert_eq!(registry.update_org_metadata("nope".into(), org_meta("x")), Err(RegistryError::OrganizationNotFound));
    assert_eq!(registry.get_org("acme".into()).unwrap().metadata, org_meta("Acme 2"));
}

#[ink::test]
fn the_owner_hands_over_the_organization() {
    let a = accounts();
    let mut registry = acme();
    assert_eq!(registry.change_org_owner("acme".into(), a.bob), Ok(()));
    assert_eq!(
        last_event::<OrganizationOwnerChanged>(),
        OrganizationOwnerChanged { org_id: "acme".into(), new_owner: a.bob }
    );
    let org = registry.get_org("acme".into()).unwrap();
    assert_eq!((org.owner, org.members), (a.bob, vec![]));
    assert_eq!(registry.delete_org("acme".into()), Err(RegistryError::NotAuthorized));
}

#[ink::test]
fn deleting_an_organization_deletes_its_services() {
    let mut registry = acme();
    let events = event_count();
    assert_eq!(registry.delete_org("acme".into()), Ok(()));
    assert_eq!(event_count(), events + 2);
    assert_eq!(last_event::<OrganizationDeleted>().org_id, "acme");
    assert_eq!(registry.get_org("acme".into()), None);
    assert_eq!(registry.get_service("acme".into(), "translate".into()), None);
    assert_eq!(registry.list_orgs(), Vec::<String>::new());
    assert_eq!(registry.delete_org("acme".into()), Err(RegistryError::OrganizationNotFound));
}

#[ink::test]
fn services_carry_price_and_groups() {
    let a = accounts();
    let registry = acme();
    let service = registry.get_service("acme".into(), "translate".into()).unwrap();
    assert_eq!(service.metadata.price_per_call, 10);
    assert_eq!(service.group("eu").unwrap().payment_recipient, a.charlie);
    assert_eq!(registry.list_services("acme".into()).unwrap(), vec![service]);
    assert_eq!(registry.list_services("nope".into()), None);
}

#[ink::test]
fn service_creation_errors() {
    let a = accounts();
    let mut registry = acme();
    let events = event_count();
    let create = |r: &mut Registry, org: &str, id: &str, groups: Vec<InstanceGroup>| {
        r.create_service(org.into(), id.into(), service_meta(1), groups)
    };
    assert_eq!(create(&mut registry, "acme", "translate", vec![group("g", a.bob)]), Err(RegistryError::ServiceExists));
    assert_eq!(create(&mut registry, "acme", "", vec![group("g", a.bob)]), Err(RegistryError::InvalidId));
    assert_eq!(create(&mut registry, "nope", "s", vec![group("g", a.bob)]), Err(RegistryError::OrganizationNotFound));
    assert_eq!(create(&mut registry, "acme", "s", vec![]), Err(RegistryError::LastGroup));
    assert_eq!(
        create(&mut registry, "acme", "s", vec![group("g", a.bob), group("g", a.bob)]),
        Err(RegistryError::GroupExists)
    );
    assert_eq!(create(&mut registry, "acme", "s", vec![group("G!", a.bob)]), Err(RegistryError::InvalidId));
    let many = (0..=MAX_GROUPS).map(|i| group(&format!("g{i}"), a.bob)).collect();
    assert_eq!(create(&mut registry, "acme", "s", many), Err(RegistryError::TooMany));
    let twice = InstanceGroup { endpoints: vec!["http://x".into(), "http://x".into()], ..group("g", a.bob) };
    assert_eq!(create(&mut registry, "acme", "s", vec![twice]), Err(RegistryError::EndpointExists));
    let empty = InstanceGroup { endpoints: vec![String::new()], ..group("g", a.bob) };
    assert_eq!(create(&mut registry, "acme", "s", vec![empty]), Err(RegistryError::InvalidMetadata));
    act_as(a.eve);
    assert_eq!(create(&mut registry, "acme", "s", vec![group("g", a.bob)]), Err(RegistryError::NotAuthorized));
    assert_eq!(registry.get_org("acme".into()).unwrap().services.len(), 1);
    assert_eq!(event_count(), events);
}

#[ink::test]
fn members_manage_groups_and_endpoints() {
    let a = accounts();
    let mut registry = acme();
    act_as(a.bob);
    assert_eq!(registry.add_group("acme".into(), "translate".into(), group("us", a.bob)), Ok(()));
    assert_eq!(last_event::<GroupAdded>().group, group("us", a.bob));
    assert_eq!(
        registry.add_group("acme".into(), "translate".into(), group("us", a.bob)),
        Err(RegistryError::GroupExists)
    );
    let extra = vec!["http://us2.example:7000".to_string()];
    assert_eq!(registry.add_endpoints("acme".into(), "translate".into(), "us".into(), extra.clone()), Ok(()));
    assert_eq!(last_event::<EndpointsAdded>().endpoints, extra);
    assert_eq!(
        registry.add_endpoints("acme".into(), "translate".into(), "us".into(), extra.clone()),
        Err(RegistryError::EndpointExists)
    );
    assert_eq!(
        registry.add_endpoints("acme".into(), "translate".into(), "xx".into(), extra.clone()),
        Err(RegistryError::GroupNotFound)
    );
    let too_many = (0..MAX_ENDPOINTS).map(|i| format!("http://h{i}")).collect();
    assert_eq!(
        registry.add_endpoints("acme".into(), "translate".into(), "us".into(), too_many),
        Err(RegistryError::TooMany)
    );
    assert_eq!(registry.remove_endpoints("acme".into(), "translate".into(), "us".into(), extra.clone()), Ok(()));
    assert_eq!(
        registry.remove_endpoints("acme".into(), "translate".into(), "us".into(), extra),
        Err(RegistryError::EndpointNotFound)
    );
    let service = registry.get_service("acme".into(), "translate".into()).unwrap();
    assert_eq!(service.group("us").unwrap().endpoints, group("us", a.bob).endpoints);
    assert_eq!(registry.remove_group("acme".into(), "translate".into(), "eu".into()), Ok(()));
    assert_eq!(last_event::<GroupRemoved>().group_id, "eu");
    assert_eq!(
        registry.remove_group("acme".into(), "translate".into(), "eu".into()),
        Err(RegistryError::GroupNotFound)
    );
    assert_eq!(registry.remove_group("acme".into(), "translate".into(), "us".into()), Err(RegistryError::LastGroup));
    act_as(a.eve);
    assert_eq!(
        registry.add_group("acme".into(), "translate".into(), group("x", a.eve)),
        Err(RegistryError::NotAuthorized)
    );
}

#[ink::test]
fn service_metadata_updates_and_deletion() {
    let a = accounts();
    let mut registry = acme();
    assert_eq!(registry.update_service_metadata("acme".into(), "translate".into(), service_meta(25)), Ok(()));
    assert_eq!(last_event::<ServiceMetadataUpdated>().metadata.price_per_call, 25);
    assert_eq!(
        registry.update_service_metadata("acme".into(), "nope".into(), service_meta(1)),
        Err(RegistryError::ServiceNotFound)
    );
    act_as(a.eve);
    assert_eq!(registry.delete_service("acme".into(), "translate".into()), Err(RegistryError::NotAuthorized));
    act_as(a.bob);
    assert_eq!(registry.delete_service("acme".into(), "translate".into()), Ok(()));
    assert_eq!(
        last_event::<ServiceDeleted>(),
        ServiceDeleted { org_id: "acme".into(), service_id: "translate".into() }
    );
    assert_eq!(registry.delete_service("acme".into(), "translate".into()), Err(RegistryError::ServiceNotFound));
    assert_eq!(registry.list_services("acme".into()).unwrap(), vec![]);
}
