//! Buckets: creation, the resource they use, their rent and their permissions.

use crate::{ddc::Ddc, DdcError, Result};
use ink::codegen::Env;
use ink::prelude::string::String;
use osiris_contract_types::ddc::*;
use osiris_contract_types::{AccountId, Balance};

impl Ddc {
    pub(crate) fn do_bucket_create(&mut self, cluster_id: ClusterId, metadata: String) -> Result<BucketId> {
        if metadata.len() > MAX_DDC_TEXT_LEN {
            return Err(DdcError::InvalidText);
        }
        if !self.clusters.contains(cluster_id) {
            return Err(DdcError::ClusterNotFound);
        }
        let owner = self.env().caller();
        let mut account = self.accounts.get(owner).unwrap_or_default();
        if account.buckets.len() >= MAX_BUCKETS_PER_ACCOUNT {
            return Err(DdcError::TooManyBuckets);
        }
        let bucket_id = self.next_bucket_id;
        self.next_bucket_id = bucket_id.checked_next().ok_or(DdcError::Overflow)?;
        let settled_until = self.env().block_number();
        let bucket = Bucket {
            owner,
            cluster_id,
            metadata: metadata.clone(),
            resource: 0,
            settled_until,
            writers: ink::prelude::vec::Vec::new(),
            readers: ink::prelude::vec::Vec::new(),
        };
        self.buckets.insert(bucket_id, &bucket);
        account.buckets.push(bucket_id);
        self.accounts.insert(owner, &account);
        self.env().emit_event(BucketCreated { bucket_id, owner, cluster_id, metadata, settled_until });
        Ok(bucket_id)
    }

    pub(crate) fn do_bucket_alloc(&mut self, bucket_id: BucketId, resource: Resource) -> Result<()> {
        let bucket = self.buckets.get(bucket_id).ok_or(DdcError::BucketNotFound)?;
        let mut cluster = self.clusters.get(bucket.cluster_id).ok_or(DdcError::ClusterNotFound)?;
        let caller = self.env().caller();
        if caller != bucket.owner && caller != cluster.manager {
            return Err(DdcError::NotBucketOwnerOrManager);
        }
        // The old rate applies up to now: the rent must be paid before the rate changes.
        let bucket = self.do_bucket_settle(bucket_id)?;
        if bucket.settled_until < self.env().block_number() {
            return Err(DdcError::InsufficientDeposit);
        }
        cluster = self.clusters.get(bucket.cluster_id).ok_or(DdcError::ClusterNotFound)?;
        let used = cluster
            .resource_used
            .checked_sub(bucket.resource)
            .and_then(|u| u.checked_add(resource))
            .ok_or(DdcError::Overflow)?;
        if used > cluster.capacity() {
            return Err(DdcError::InsufficientClusterResource);
        }
        cluster.resource_used = used;
        self.clusters.insert(bucket.cluster_id, &cluster);
        let mut bucket = bucket;
        bucket.resource = resource;
        self.buckets.insert(bucket_id, &bucket);
        let rent_per_block = self.rate_of(&bucket);
        self.env().emit_event(BucketAllocated { bucket_id, resource, cluster_resource_used: used, rent_per_block });
        Ok(())
    }

    /// Settles the bucket's rent up to now or as far as the deposit reaches; the bucket after.
    pub(crate) fn do_bucket_settle(&mut self, bucket_id: BucketId) -> Result<Bucket> {
        let mut bucket = self.buckets.get(bucket_id).ok_or(DdcError::BucketNotFound)?;
        let mut cluster = self.clusters.get(bucket.cluster_id).ok_or(DdcError::ClusterNotFound)?;
        let mut owner = self.accounts.get(bucket.owner).unwrap_or_default();
        let rate = self.rate_of(&bucket);
        let (paid, settled_until) = settle(rate, bucket.settled_until, self.env().block_number(), owner.deposit);
        owner.deposit = owner.deposit.checked_sub(paid).ok_or(DdcError::InsufficientDeposit)?;
        cluster.revenues = cluster.revenues.checked_add(paid).ok_or(DdcError::Overflow)?;
        bucket.settled_until = settled_until;
        self.accounts.insert(bucket.owner, &owner);
        self.clusters.insert(bucket.cluster_id, &cluster);
        self.buckets.insert(bucket_id, &bucket);
        self.env().emit_event(BucketSettled {
            bucket_id,
            owner: bucket.owner,
            cluster_id: bucket.cluster_id,
            paid,
            settled_until,
            owner_deposit: owner.deposit,
            cluster_revenues: cluster.revenues,
        });
        Ok(bucket)
    }

    pub(crate) fn do_bucket_permission(
        &mut self,
        bucket_id: BucketId,
        account: AccountId,
        permission: Permission,
        granted: bool,
    ) -> Result<()> {
        let mut bucket = self.buckets.get(bucket_id).ok_or(DdcError::BucketNotFound)?;
        if bucket.owner != self.env().caller() {
            return Err(DdcError::NotBucketOwner);
        }
        let total = bucket.readers.len().saturating_add(bucket.writers.len());
        let list = match permission {
            Permission::Reader => &mut bucket.readers,
            Permission::Writer => &mut bucket.writers,
        };
        let present = list.contains(&account);
        if granted && !present {
            if total >= MAX_PERMISSIONS {
                return Err(DdcError::TooManyPermissions);
            }
            list.push(account);
        } else if !granted {
            list.retain(|a| *a != account);
        }
        self.buckets.insert(bucket_id, &bucket);
        self.env().emit_event(BucketPermissionChanged { bucket_id, account, permission, granted });
        Ok(())
    }

    /// The bucket's rent, planck per block: its resource at its cluster's rent per unit.
    pub(crate) fn rate_of(&self, bucket: &Bucket) -> Balance {
        let price = self.clusters.get(bucket.cluster_id).map_or(0, |c| c.rent_per_resource);
        price.saturating_mul(Balance::from(bucket.resource))
    }

    pub(crate) fn bucket_status(&self, bucket_id: BucketId) -> Option<BucketStatus> {
        let bucket = self.buckets.get(bucket_id)?;
        let owner = self.accounts.get(bucket.owner).unwrap_or_default();
        let rent_covered_until = rent_covered_until(owner.deposit, &self.rents(&owner), self.env().block_number());
        Some(BucketStatus { bucket_id, rent_per_block: self.rate_of(&bucket), bucket, rent_covered_until })
    }
}
