//! Why a registry message failed.

/// Every way a registry message can fail. Returned as `Err`, never as a trap;
/// on chain an `Err` reverts all of the message's state changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
pub enum RegistryError {
    /// An organization, service or group id is empty, too long or uses characters outside `[a-z0-9._-]`.
    InvalidId,
    /// A name, URI or endpoint is longer than allowed, or an endpoint is empty.
    InvalidMetadata,
    /// An organization with this id already exists.
    OrganizationExists,
    /// No organization with this id.
    OrganizationNotFound,
    /// The caller is neither the organization's owner nor (where members may act) a member.
    NotAuthorized,
    /// The account is already the owner or a member.
    MemberExists,
    /// The account is not a member.
    MemberNotFound,
    /// A service with this id already exists in the organization.
    ServiceExists,
    /// No service with this id in the organization.
    ServiceNotFound,
    /// A group with this id already exists in the service (or twice in the input).
    GroupExists,
    /// No group with this id in the service.
    GroupNotFound,
    /// Removing the group would leave the service with none.
    LastGroup,
    /// An endpoint is already in the group (or twice in the input).
    EndpointExists,
    /// An endpoint to remove is not in the group.
    EndpointNotFound,
    /// A limit on members, services, groups or endpoints would be exceeded.
    TooMany,
}
