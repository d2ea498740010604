//! The node record, teams, users, tokens and sharing groups.

use vigia_policy::{GroupName, Role, TeamId, UserName};
use vigia_stix::Timestamp;
use vigia_store::{
    AuditVerification, NewTeam, NewToken, NewUser, NodeRecord, StoreError, TeamKind,
};

use crate::support::{on_both_backends, team, TestDb, TEAM_A, TEAM_B, TEAM_C};

on_both_backends!(
    teams_are_created_and_listed,
    users_are_unique_per_node,
    roles_change_and_a_totp_step_is_spent_once,
    tokens_live_until_revoked_or_expired,
    sharing_groups_make_the_community,
    initialising_twice_changes_nothing,
);

fn new_team(id: &str, name: &str, client_of: Option<&str>) -> NewTeam {
    NewTeam {
        id: team(id),
        name: name.to_owned(),
        country: "UY".to_owned(),
        kind: if client_of.is_some() {
            TeamKind::Government
        } else {
            TeamKind::NationalCsirt
        },
        client_of: client_of.map(team),
    }
}

fn new_user(team_id: &str, name: &str, role: Role) -> NewUser {
    NewUser {
        team: team(team_id),
        name: UserName::parse(name).unwrap(),
        display_name: format!("{name} (display)"),
        email: Some(format!("{name}@example.org")),
        role,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned(),
    }
}

fn user(name: &str) -> UserName {
    UserName::parse(name).unwrap()
}

async fn two_teams(db: &TestDb) {
    db.store
        .create_team(&new_team(TEAM_A, "CERTuy", None))
        .await
        .unwrap();
    db.store
        .create_team(&new_team(TEAM_B, "Agency", Some(TEAM_A)))
        .await
        .unwrap();
}

async fn teams_are_created_and_listed(db: &TestDb) {
    let created = db
        .store
        .create_team(&new_team(TEAM_A, "CERTuy", None))
        .await
        .unwrap();
    assert_eq!(created.kind, TeamKind::NationalCsirt);
    db.store
        .create_team(&new_team(TEAM_B, "Agency", Some(TEAM_A)))
        .await
        .unwrap();

    assert_eq!(db.store.team(&team(TEAM_A)).await.unwrap(), Some(created));
    let b = db.store.team(&team(TEAM_B)).await.unwrap().unwrap();
    assert_eq!(b.client_of, Some(team(TEAM_A)));
    assert_eq!(b.kind, TeamKind::Government);
    assert_eq!(db.store.team(&team(TEAM_C)).await.unwrap(), None);
    let names: Vec<_> = db
        .store
        .list_teams()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(names, ["Agency", "CERTuy"]);

    let again = db.store.create_team(&new_team(TEAM_A, "Other", None)).await;
    assert!(
        matches!(again, Err(StoreError::Conflict { .. })),
        "{again:?}"
    );
    let orphan = db
        .store
        .create_team(&new_team(
            TEAM_C,
            "Orphan",
            Some("identity--d0000000-0000-4000-8000-00000000000d"),
        ))
        .await;
    assert!(
        matches!(orphan, Err(StoreError::NotFound { .. })),
        "{orphan:?}"
    );
}

async fn users_are_unique_per_node(db: &TestDb) {
    two_teams(db).await;
    let alice = db
        .store
        .create_user(&new_user(TEAM_A, "alice", Role::Admin))
        .await
        .unwrap();
    assert!(alice.id > 0);
    assert!(!alice.disabled);
    db.store
        .create_user(&new_user(TEAM_B, "bob", Role::ReadOnly))
        .await
        .unwrap();
    db.store
        .create_user(&new_user(TEAM_A, "carol", Role::DutyOfficer))
        .await
        .unwrap();

    // Names are unique across the node, not only within a team.
    let twin = db
        .store
        .create_user(&new_user(TEAM_B, "alice", Role::Analyst))
        .await;
    assert!(matches!(twin, Err(StoreError::Conflict { .. })), "{twin:?}");
    let homeless = db
        .store
        .create_user(&new_user(TEAM_C, "dave", Role::Analyst))
        .await;
    assert!(
        matches!(homeless, Err(StoreError::NotFound { .. })),
        "{homeless:?}"
    );

    assert_eq!(
        db.store.user_by_name(&user("alice")).await.unwrap(),
        Some(alice.clone())
    );
    assert_eq!(db.store.user_by_name(&user("nobody")).await.unwrap(), None);

    let all: Vec<_> = db
        .store
        .list_users(None)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.name.to_string())
        .collect();
    assert_eq!(
        all,
        ["alice", "carol", "bob"],
        "ordered by team id, then name"
    );
    let of_b = db.store.list_users(Some(&team(TEAM_B))).await.unwrap();
    assert_eq!(of_b.len(), 1);
    assert_eq!(of_b[0].role, Role::ReadOnly);

    assert!(db
        .store
        .set_user_disabled(&user("bob"), true)
        .await
        .unwrap());
    assert!(
        db.store
            .user_by_name(&user("bob"))
            .await
            .unwrap()
            .unwrap()
            .disabled
    );
    assert!(db
        .store
        .set_user_disabled(&user("bob"), false)
        .await
        .unwrap());
    assert!(
        !db.store
            .user_by_name(&user("bob"))
            .await
            .unwrap()
            .unwrap()
            .disabled
    );
    assert!(!db
        .store
        .set_user_disabled(&user("nobody"), true)
        .await
        .unwrap());

    assert!(db
        .store
        .set_user_password(&user("alice"), "$argon2id$new")
        .await
        .unwrap());
    assert_eq!(
        db.store
            .user_by_name(&user("alice"))
            .await
            .unwrap()
            .unwrap()
            .password_hash,
        "$argon2id$new"
    );
    assert!(!db
        .store
        .set_user_password(&user("nobody"), "x")
        .await
        .unwrap());
}

async fn roles_change_and_a_totp_step_is_spent_once(db: &TestDb) {
    two_teams(db).await;
    db.store
        .create_user(&new_user(TEAM_A, "alice", Role::Analyst))
        .await
        .unwrap();
    let alice = user("alice");
    assert!(db.store.set_user_role(&alice, Role::Admin).await.unwrap());
    let record = db.store.user_by_name(&alice).await.unwrap().unwrap();
    assert_eq!(record.role, Role::Admin);
    assert!(!db
        .store
        .set_user_role(&user("nobody"), Role::Admin)
        .await
        .unwrap());

    // A step is good once; an earlier one never again.
    assert!(db.store.claim_totp_step(&alice, 100).await.unwrap());
    assert!(!db.store.claim_totp_step(&alice, 100).await.unwrap());
    assert!(!db.store.claim_totp_step(&alice, 99).await.unwrap());
    assert!(db.store.claim_totp_step(&alice, 101).await.unwrap());
    // A new secret starts afresh.
    assert!(db
        .store
        .set_user_totp(&alice, Some("sealed"))
        .await
        .unwrap());
    assert!(db.store.claim_totp_step(&alice, 50).await.unwrap());
    assert!(!db.store.claim_totp_step(&user("nobody"), 1).await.unwrap());
}

fn new_token(id: &str, secret: u8, user: Option<&str>, expires_at: Option<Timestamp>) -> NewToken {
    NewToken {
        id: id.to_owned(),
        secret_hash: [secret; 32],
        team: team(TEAM_A),
        user: user.map(|u| UserName::parse(u).unwrap()),
        role: Role::Analyst,
        scope: "api".to_owned(),
        label: format!("{id} label"),
        expires_at,
    }
}

fn hours_from_now(hours: i64) -> Timestamp {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    Timestamp::from_unix_micros(i64::try_from(now.as_micros()).unwrap() + hours * 3_600_000_000)
        .unwrap()
}

async fn tokens_live_until_revoked_or_expired(db: &TestDb) {
    two_teams(db).await;
    db.store
        .create_user(&new_user(TEAM_A, "alice", Role::Analyst))
        .await
        .unwrap();
    let t1 = db
        .store
        .create_token(&new_token("t1", 1, Some("alice"), None))
        .await
        .unwrap();
    db.store
        .create_token(&new_token("t2", 2, None, Some(hours_from_now(-1))))
        .await
        .unwrap();
    db.store
        .create_token(&new_token("t3", 3, None, Some(hours_from_now(1))))
        .await
        .unwrap();
    assert_eq!(t1.user, Some(user("alice")));

    let used = db
        .store
        .token_by_secret_hash(&[1; 32])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(used.id, "t1");
    assert_eq!(used.role, Role::Analyst);
    let first_use = used.last_used_at.expect("use is recorded");
    let again = db
        .store
        .token_by_secret_hash(&[1; 32])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        again.last_used_at,
        Some(first_use),
        "recorded at most once a minute"
    );

    assert!(
        db.store
            .token_by_secret_hash(&[2; 32])
            .await
            .unwrap()
            .is_none(),
        "expired"
    );
    assert!(db
        .store
        .token_by_secret_hash(&[3; 32])
        .await
        .unwrap()
        .is_some());
    assert!(
        db.store
            .token_by_secret_hash(&[9; 32])
            .await
            .unwrap()
            .is_none(),
        "unknown"
    );

    assert!(db.store.revoke_token("t1").await.unwrap());
    assert!(
        !db.store.revoke_token("t1").await.unwrap(),
        "already revoked"
    );
    assert!(
        !db.store.revoke_token("t2").await.unwrap(),
        "expired is not live"
    );
    assert!(!db.store.revoke_token("nope").await.unwrap());
    assert!(db
        .store
        .token_by_secret_hash(&[1; 32])
        .await
        .unwrap()
        .is_none());

    let listed = db.store.list_tokens().await.unwrap();
    assert_eq!(
        listed.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
        ["t1", "t2", "t3"]
    );
    assert!(listed[0].revoked_at.is_some());
    assert_eq!(listed[0].last_used_at, Some(first_use));
    assert!(listed[2].revoked_at.is_none());

    let twin = db.store.create_token(&new_token("t1", 4, None, None)).await;
    assert!(matches!(twin, Err(StoreError::Conflict { .. })), "{twin:?}");
    let same_secret = db.store.create_token(&new_token("t4", 3, None, None)).await;
    assert!(
        matches!(same_secret, Err(StoreError::Conflict { .. })),
        "{same_secret:?}"
    );
    let no_user = db
        .store
        .create_token(&new_token("t5", 5, Some("ghost"), None))
        .await;
    assert!(
        matches!(no_user, Err(StoreError::NotFound { .. })),
        "{no_user:?}"
    );
}

async fn sharing_groups_make_the_community(db: &TestDb) {
    two_teams(db).await;
    let caribbean = GroupName::parse("caribbean").unwrap();
    let alpha = GroupName::parse("alpha").unwrap();
    // Members need not be local teams: peers' teams join groups too.
    db.store
        .put_sharing_group(
            &caribbean,
            &team(TEAM_A),
            &[team(TEAM_C), team(TEAM_B), team(TEAM_A), team(TEAM_B)],
        )
        .await
        .unwrap();
    db.store
        .put_sharing_group(&alpha, &team(TEAM_B), &[team(TEAM_B)])
        .await
        .unwrap();
    let groups = db.store.list_sharing_groups().await.unwrap();
    assert_eq!(
        groups,
        vec![
            (alpha.clone(), team(TEAM_B), vec![team(TEAM_B)]),
            (
                caribbean.clone(),
                team(TEAM_A),
                vec![team(TEAM_A), team(TEAM_B), team(TEAM_C)]
            ),
        ]
    );

    // Putting again replaces owner and members.
    db.store
        .put_sharing_group(&caribbean, &team(TEAM_C), &[team(TEAM_A), team(TEAM_C)])
        .await
        .unwrap();
    db.store
        .put_sharing_group(&alpha, &team(TEAM_B), &[])
        .await
        .unwrap();
    let groups = db.store.list_sharing_groups().await.unwrap();
    assert_eq!(groups[0], (alpha.clone(), team(TEAM_B), vec![]));
    assert_eq!(
        groups[1],
        (
            caribbean.clone(),
            team(TEAM_C),
            vec![team(TEAM_A), team(TEAM_C)]
        )
    );

    let community = db.store.community().await.unwrap();
    let members: Vec<&TeamId> = community.group_members(&caribbean).collect();
    assert_eq!(members, [&team(TEAM_A), &team(TEAM_C)]);
    assert_eq!(community.group_members(&alpha).count(), 0);
    assert_eq!(community.client_of(&team(TEAM_B)), Some(&team(TEAM_A)));
    assert_eq!(community.client_of(&team(TEAM_A)), None);
    assert_eq!(
        community.groups_of(&team(TEAM_C)).collect::<Vec<_>>(),
        [&caribbean]
    );
}

async fn initialising_twice_changes_nothing(db: &TestDb) {
    assert_eq!(db.store.node().await.unwrap(), None);
    let event = crate::audit::event("cli", 1);
    let node = NodeRecord {
        node_id: "uy-1".to_owned(),
        team_id: team(TEAM_A),
        country: "UY".to_owned(),
        public_key: "MCowBQYDK2VwAyEA".to_owned(),
        created_at: Timestamp::parse("2025-01-01T00:00:00.000001Z").unwrap(),
    };
    // A failure part-way (the admin's team is missing) leaves nothing behind.
    let broken = db
        .store
        .initialise_node(
            &node,
            &new_team(TEAM_A, "CERTuy", None),
            &new_user(TEAM_B, "x", Role::Admin),
            &event,
        )
        .await;
    assert!(
        matches!(broken, Err(StoreError::NotFound { .. })),
        "{broken:?}"
    );
    assert_eq!(db.store.node().await.unwrap(), None);
    assert!(db.store.list_teams().await.unwrap().is_empty());
    assert_eq!(
        db.store.verify_audit().await.unwrap(),
        AuditVerification::Intact { entries: 0 }
    );

    db.store
        .initialise_node(
            &node,
            &new_team(TEAM_A, "CERTuy", None),
            &new_user(TEAM_A, "root-admin", Role::Admin),
            &event,
        )
        .await
        .unwrap();
    assert_eq!(db.store.node().await.unwrap(), Some(node.clone()));
    assert_eq!(
        db.store
            .user_by_name(&user("root-admin"))
            .await
            .unwrap()
            .unwrap()
            .role,
        Role::Admin
    );
    assert_eq!(db.store.audit_entries(0, 10).await.unwrap().len(), 1);

    let other = NodeRecord {
        node_id: "uy-2".to_owned(),
        team_id: team(TEAM_B),
        ..node.clone()
    };
    let again = db
        .store
        .initialise_node(
            &other,
            &new_team(TEAM_B, "Other", None),
            &new_user(TEAM_B, "other-admin", Role::Admin),
            &event,
        )
        .await;
    assert!(
        matches!(&again, Err(StoreError::AlreadyInitialised { node_id }) if node_id == "uy-1"),
        "{again:?}"
    );

    assert_eq!(db.store.node().await.unwrap(), Some(node));
    assert_eq!(db.store.list_teams().await.unwrap().len(), 1);
    assert_eq!(db.store.list_users(None).await.unwrap().len(), 1);
    assert_eq!(
        db.store.verify_audit().await.unwrap(),
        AuditVerification::Intact { entries: 1 }
    );
}
