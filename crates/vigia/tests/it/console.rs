//! The web console over HTTP (the browser-driven scenario comes with the
//! rest of the console): sign-in with cookie flags and CSRF, the strict
//! Content-Security-Policy, escaping of free text, the four languages,
//! page weight, and sign-out that revokes the session.

use reqwest::blocking::{Client, Response};
use reqwest::header::{HeaderMap, ACCEPT_LANGUAGE, COOKIE, LOCATION, SET_COOKIE};
use serde_json::{json, Value};

use crate::federation_net::{eventually, net_node, NetNode};

pub fn client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap()
}

fn set_cookies(h: &HeaderMap) -> Vec<String> {
    h.get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect()
}

fn cookie_value(set: &[String], name: &str) -> Option<String> {
    set.iter()
        .filter_map(|c| c.split(';').next())
        .filter_map(|c| c.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// The `csrf` hidden field of a page.
fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a CSRF field") + 19;
    html[at..at + 64].to_owned()
}

pub fn between(s: &str, start: &str, end: &str) -> String {
    let at = s.find(start).expect("the start marker") + start.len();
    let len = s[at..].find(end).expect("the end marker");
    s[at..at + len].to_owned()
}

/// The current TOTP code of a base32 secret, as an authenticator app shows it.
pub fn totp_now(secret: &str) -> String {
    totp_at(secret, 0)
}

/// The code `steps` 30-second steps from now: a code is good once, so a
/// second sign-in within one step uses the next step's (one step of skew
/// is allowed).
pub fn totp_at(secret: &str, steps: i64) -> String {
    let bytes = totp_rs::Secret::Encoded(secret.to_owned())
        .to_bytes()
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let at = now.saturating_add_signed(steps * 30);
    totp_rs::TOTP::new(
        totp_rs::Algorithm::SHA1,
        6,
        1,
        30,
        bytes,
        None,
        "test".into(),
    )
    .unwrap()
    .generate(at)
}

fn text(r: Response) -> (u16, HeaderMap, String) {
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.text().unwrap())
}

#[test]
fn the_console_signs_in_safely_escapes_text_speaks_four_languages_and_signs_out() {
    let node = net_node("MX");
    let c = client();
    let url = |p: &str| format!("{}{p}", node.url);

    // Not signed in: sent to the sign-in page, which sets a CSRF cookie.
    let r = c.get(url("/console/")).send().unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(r.headers()[LOCATION], "/console/login");
    let (status, headers, login) = text(c.get(url("/console/login")).send().unwrap());
    assert_eq!(status, 200);
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let set = set_cookies(&headers);
    let pre = cookie_value(&set, "vigia_csrf").expect("a pre-sign-in CSRF cookie");
    assert!(
        set[0].contains("HttpOnly") && set[0].contains("SameSite=Strict"),
        "{set:?}"
    );
    assert!(login.contains("<label for=\"username\">") && login.contains("<html lang=\"en\">"));
    assert!(
        login.len() < 100_000,
        "the sign-in page weighs {} bytes",
        login.len()
    );
    let css = c.get(url("/console/assets/console.css")).send().unwrap();
    assert!(css.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("max-age"));
    assert!(login.len() + css.text().unwrap().len() < 100_000);
    let form_csrf = csrf_of(&login);

    // The browser's language chooses the text.
    for (lang, word) in [
        ("es-MX,es;q=0.9", "Iniciar sesión"),
        ("pt-BR", "Senha"),
        ("fr-CA", "Mot de passe"),
        ("en", "Password"),
    ] {
        let (_, _, page) = text(
            c.get(url("/console/login"))
                .header(ACCEPT_LANGUAGE, lang)
                .send()
                .unwrap(),
        );
        assert!(page.contains(word), "{lang}: {page}");
    }

    // A sign-in without the CSRF token is refused; a wrong password says so.
    let jar = format!("vigia_csrf={pre}");
    let r = c
        .post(url("/console/login"))
        .header(COOKIE, &jar)
        .form(&[
            ("username", "admin"),
            ("password", node.init.admin_password.as_str()),
        ])
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    let (status, _, page) = text(
        c.post(url("/console/login"))
            .header(COOKIE, &jar)
            .form(&[
                ("csrf", form_csrf.as_str()),
                ("username", "admin"),
                ("password", "wrong"),
            ])
            .send()
            .unwrap(),
    );
    assert_eq!(status, 401);
    assert!(
        page.contains("Wrong user name, password or authenticator code."),
        "{page}"
    );

    // The node requires a second factor: the first sign-in enrols one.
    let r = c
        .post(url("/console/login"))
        .header(COOKIE, &jar)
        .form(&[
            ("csrf", form_csrf.as_str()),
            ("username", "admin"),
            ("password", node.init.admin_password.as_str()),
        ])
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(r.headers()[LOCATION], "/console/enrol");
    assert!(
        cookie_value(&set_cookies(r.headers()), "vigia_session").is_none(),
        "no session before the second factor"
    );
    let enrol =
        cookie_value(&set_cookies(r.headers()), "vigia_enrol").expect("an enrolment cookie");
    let enrol_jar = format!("{jar}; vigia_enrol={enrol}");
    let (status, _, page) = text(
        c.get(url("/console/enrol"))
            .header(COOKIE, &enrol_jar)
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200);
    let secret = between(&page, "<code id=\"totp-secret\">", "</code>");
    assert!(page.contains("otpauth://totp/"), "{page}");
    let wrong = c
        .post(url("/console/enrol"))
        .header(COOKIE, &enrol_jar)
        .form(&[("csrf", form_csrf.as_str()), ("code", "000000")])
        .send()
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    let enrol_code = totp_now(&secret);
    let r = c
        .post(url("/console/enrol"))
        .header(COOKIE, &enrol_jar)
        .form(&[("csrf", form_csrf.as_str()), ("code", &enrol_code)])
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let set = set_cookies(r.headers());
    let session = cookie_value(&set, "vigia_session").expect("a session cookie");
    let flags = set
        .iter()
        .find(|c| c.starts_with("vigia_session="))
        .unwrap();
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
        assert!(flags.contains(flag), "{flags}");
    }

    // From now on the password alone is not enough, nor is Basic.
    let (status, _, _) = text(
        c.post(url("/console/login"))
            .header(COOKIE, &jar)
            .form(&[
                ("csrf", form_csrf.as_str()),
                ("username", "admin"),
                ("password", node.init.admin_password.as_str()),
            ])
            .send()
            .unwrap(),
    );
    assert_eq!(status, 401);
    let r = node
        .client
        .get(url("/api/teams"))
        .basic_auth("admin", Some(&node.init.admin_password))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let r = node
        .client
        .post(url("/api/login"))
        .json(
            &json!({"username": "admin", "password": node.init.admin_password, "totp": enrol_code}),
        )
        .send()
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        401,
        "the enrolment spent this step's code: a replay is refused"
    );
    let r = node
        .client
        .post(url("/api/login"))
        .json(&json!({"username": "admin", "password": node.init.admin_password, "totp": totp_at(&secret, 1)}))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "the API takes the code too");
    let jar = format!("vigia_session={session}");

    // Free text with markup is shown as text, never run.
    let token = node.token("analyst", &["--user", "admin"]);
    let r = node
        .client
        .post(url("/api/products"))
        .bearer_auth(&token)
        .json(&json!({"kind": "alert", "title": "<script>alert(1)</script> & \"quotes\"", "description": "<img src=x onerror=alert(2)>",
                      "severity": "high", "tlp": "green"}))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let mut dashboard = String::new();
    eventually(20, "the dashboard lists the product", || {
        let (_, _, page) = text(c.get(url("/console/")).header(COOKIE, &jar).send().unwrap());
        dashboard = page;
        dashboard.contains("&#60;script&#62;alert(1)&#60;/script&#62;")
    });
    assert!(!dashboard.contains("<script>alert"), "{dashboard}");
    assert!(
        dashboard.contains("TLP:GREEN"),
        "the marking is shown as text: {dashboard}"
    );
    assert!(dashboard.len() < 100_000);

    // The user's language choice wins over the browser's.
    let csrf = csrf_of(&dashboard);
    let r = c
        .post(url("/console/language"))
        .header(COOKIE, &jar)
        .form(&[("csrf", csrf.as_str()), ("lang", "fr")])
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let lang = cookie_value(&set_cookies(r.headers()), "vigia_lang").unwrap();
    assert_eq!(lang, "fr");
    let (_, _, page) = text(
        c.get(url("/console/directory"))
            .header(COOKIE, format!("{jar}; vigia_lang=fr"))
            .header(ACCEPT_LANGUAGE, "es")
            .send()
            .unwrap(),
    );
    assert!(
        page.contains("Annuaire") && page.contains("<html lang=\"fr\">"),
        "{page}"
    );

    // Sign-out needs the CSRF token and revokes the session.
    let r = c
        .post(url("/console/logout"))
        .header(COOKIE, &jar)
        .form(&[("csrf", "0")])
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    let r = c
        .post(url("/console/logout"))
        .header(COOKIE, &jar)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let r = c.get(url("/console/")).header(COOKIE, &jar).send().unwrap();
    assert_eq!(
        r.status().as_u16(),
        303,
        "the revoked session no longer opens the console"
    );
    // Nor does it work as an API token.
    let r = node
        .client
        .get(url("/api/products"))
        .bearer_auth(&session)
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
}

/// A person signed in to the console: the cookie header and form token.
pub struct ConsoleUser {
    pub jar: String,
    pub csrf: String,
}

/// Signs in through the pages, enrolling an authenticator on the way.
pub fn console_sign_in(c: &Client, base: &str, user: &str, password: &str) -> ConsoleUser {
    let url = |p: &str| format!("{base}{p}");
    let (_, headers, login) = text(c.get(url("/console/login")).send().unwrap());
    let pre = cookie_value(&set_cookies(&headers), "vigia_csrf").unwrap();
    let jar = format!("vigia_csrf={pre}");
    let csrf = csrf_of(&login);
    let r = c
        .post(url("/console/login"))
        .header(COOKIE, &jar)
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", user),
            ("password", password),
        ])
        .send()
        .unwrap();
    assert_eq!(r.headers()[LOCATION], "/console/enrol", "{user} enrols");
    let enrol = cookie_value(&set_cookies(r.headers()), "vigia_enrol").unwrap();
    let jar = format!("{jar}; vigia_enrol={enrol}");
    let (_, _, page) = text(
        c.get(url("/console/enrol"))
            .header(COOKIE, &jar)
            .send()
            .unwrap(),
    );
    let secret = between(&page, "<code id=\"totp-secret\">", "</code>");
    let r = c
        .post(url("/console/enrol"))
        .header(COOKIE, &jar)
        .form(&[("csrf", csrf.as_str()), ("code", &totp_now(&secret))])
        .send()
        .unwrap();
    let session = cookie_value(&set_cookies(r.headers()), "vigia_session").expect("a session");
    let jar = format!("vigia_session={session}");
    let (_, _, page) = text(c.get(url("/console/")).header(COOKIE, &jar).send().unwrap());
    ConsoleUser {
        csrf: csrf_of(&page),
        jar,
    }
}

pub fn page(c: &Client, base: &str, who: &ConsoleUser, path: &str) -> (u16, String) {
    let (status, _, body) = text(
        c.get(format!("{base}{path}"))
            .header(COOKIE, &who.jar)
            .send()
            .unwrap(),
    );
    (status, body)
}

pub fn submit(
    c: &Client,
    base: &str,
    who: &ConsoleUser,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, HeaderMap, String) {
    let mut fields = vec![("csrf", who.csrf.as_str())];
    fields.extend_from_slice(form);
    text(
        c.post(format!("{base}{path}"))
            .header(COOKIE, &who.jar)
            .form(&fields)
            .send()
            .unwrap(),
    )
}

#[test]
fn the_console_composes_previews_acknowledges_searches_and_keeps_each_team_to_its_own() {
    let node = net_node("PE");
    let c = client();
    let base = node.url.as_str();
    let admin_token = node.token("admin", &["--user", "admin"]);
    // A second team on the node, with an analyst.
    let (status, team) = crate::helpers::json(
        node.client
            .post(format!("{base}/api/teams"))
            .bearer_auth(&admin_token)
            .json(&json!({"name": "Ministerio de Energía", "country": "PE", "kind": "government"}))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 201, "{team}");
    let team_id = team["id"].as_str().unwrap().to_owned();
    let (status, _) = crate::helpers::json(
        node.client
            .post(format!("{base}/api/users"))
            .bearer_auth(&admin_token)
            .json(&json!({"name": "mina", "role": "analyst", "team": team_id, "password": "a long enough password"}))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 201);
    let admin = console_sign_in(&c, base, "admin", &node.init.admin_password);
    let mina = console_sign_in(&c, base, "mina", "a long enough password");

    // The preview names exactly who will receive: AMBER to nobody else
    // reaches no one; addressed to the ministry, it reaches the ministry.
    let amber = [
        ("kind", "advisory"),
        ("title", "Only for the ministry's eyes"),
        ("severity", "medium"),
        ("tlp", "amber"),
        ("action", "preview"),
    ];
    let (status, _, preview) = submit(&c, base, &admin, "/console/compose", &amber);
    assert_eq!(status, 200, "{preview}");
    let row = between(&preview, "<td>Ministerio de Energía</td>", "</tr>");
    assert!(row.contains("class=\"no\""), "{row}");
    let mut addressed = amber.to_vec();
    addressed.push(("team", team_id.as_str()));
    let (_, _, preview) = submit(&c, base, &admin, "/console/compose", &addressed);
    let row = between(&preview, "<td>Ministerio de Energía</td>", "</tr>");
    assert!(row.contains("class=\"yes\""), "{row}");

    // Compose needs the form token.
    let (status, _, _) = text(
        c.post(format!("{base}/console/compose"))
            .header(COOKIE, &admin.jar)
            .form(&[
                ("kind", "alert"),
                ("title", "forged"),
                ("severity", "high"),
                ("tlp", "clear"),
                ("action", "publish"),
            ])
            .send()
            .unwrap(),
    );
    assert_eq!(status, 403);

    // Published AMBER to no one else: the ministry cannot open it by URL,
    // nor find it by searching.
    let mut publish = amber.to_vec();
    publish.retain(|(k, _)| *k != "action");
    publish.push(("action", "publish"));
    let (status, headers, _) = submit(&c, base, &admin, "/console/compose", &publish);
    assert_eq!(status, 303);
    let amber_url = headers[LOCATION].to_str().unwrap().to_owned();
    assert!(
        amber_url.starts_with("/console/products/report--"),
        "{amber_url}"
    );
    let (status, body) = page(&c, base, &mina, &amber_url);
    assert_eq!(status, 404, "{body}");
    assert!(!body.contains("Only for the ministry"), "{body}");
    let (_, found) = page(&c, base, &admin, "/console/search?q=ministry%27s");
    assert!(found.contains("Only for the ministry"), "{found}");
    let (_, found) = page(&c, base, &mina, "/console/search?q=ministry%27s");
    assert!(!found.contains("Only for the ministry"), "{found}");
    // The API searches the same way.
    let (status, found) = crate::helpers::json(
        node.client
            .get(format!("{base}/api/search?q=ministry"))
            .bearer_auth(&admin_token)
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200, "{found}");
    assert!(
        found["objects"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["name"] == "Only for the ministry's eyes"),
        "{found}"
    );

    // Markup in every free-text field is shown as text.
    let hostile = "<script>alert(1)</script>";
    let (status, headers, body) = submit(
        &c,
        base,
        &admin,
        "/console/compose",
        &[
            ("kind", "suspicious-activity"),
            ("title", hostile),
            ("description", "<img src=x onerror=alert(2)>"),
            ("severity", "high"),
            ("tlp", "green"),
            ("action", "publish"),
        ],
    );
    assert_eq!(status, 303, "{body}");
    let green_url = headers[LOCATION].to_str().unwrap().to_owned();
    let (status, view) = page(&c, base, &mina, &green_url);
    assert_eq!(status, 200);
    assert!(
        view.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "{view}"
    );
    assert!(
        !view.contains("<script>alert") && !view.contains("<img src=x"),
        "{view}"
    );
    assert!(view.contains("TLP:GREEN"), "{view}");
    let (status, _, _) = submit(
        &c,
        base,
        &mina,
        &format!("{green_url}/findings"),
        &[("text", "<b onmouseover=alert(3)>seen here too</b>")],
    );
    assert_eq!(status, 303);
    let (status, _, _) = submit(
        &c,
        base,
        &mina,
        &format!("{green_url}/acknowledge"),
        &[("state", "acknowledged"), ("note", "<i>on it</i>")],
    );
    assert_eq!(status, 303);
    // Receipts reach the originator's view through the watch worker.
    let mut view = String::new();
    eventually(20, "the originator sees the acknowledgement", || {
        view = page(&c, base, &admin, &green_url).1;
        view.contains("on it")
    });
    assert!(
        !view.contains("<b onmouseover") && !view.contains("<i>on it"),
        "{view}"
    );
    assert!(
        view.contains("&#60;i&#62;on it&#60;/i&#62;"),
        "the acknowledgement note: {view}"
    );
    // The originator sees who acknowledged; the recipient does not see
    // the originator's receipt table.
    assert!(view.contains("Who received and acknowledged it"), "{view}");
    let (_, theirs) = page(&c, base, &mina, &green_url);
    assert!(
        !theirs.contains("Who received and acknowledged it"),
        "{theirs}"
    );
    assert!(theirs.contains("id=\"own-state\">Acknowledged"), "{theirs}");
    let (_, q) = page(
        &c,
        base,
        &mina,
        "/console/search?q=%22%3Cscript%3E%22+NEAR(",
    );
    assert!(
        q.contains("value=\"&#34;&#60;script&#62;&#34; NEAR(\""),
        "{q}"
    );

    // Admin pages are for admins, whatever the links show.
    let (status, audit) = page(&c, base, &admin, "/console/audit");
    assert_eq!(status, 200);
    assert!(audit.contains("id=\"chain\""), "{audit}");
    assert!(audit.contains("product.acknowledge"), "{audit}");
    assert_eq!(page(&c, base, &mina, "/console/audit").0, 403);
    assert_eq!(page(&c, base, &mina, "/console/admin").0, 403);
    let (status, _, _) = submit(
        &c,
        base,
        &mina,
        "/console/admin/users/admin",
        &[("action", "disable")],
    );
    assert_eq!(status, 403);
    let (status, admin_page) = page(&c, base, &admin, "/console/admin");
    assert_eq!(status, 200);
    assert!(admin_page.contains("mina"), "{admin_page}");
    administers_from_the_console(&node, &c, &admin, &mina);
}

/// Users, roles, tokens, outbound policy, roster and sharing groups, all
/// changed from the admin page, each refusal named and shown with what
/// was typed.
fn administers_from_the_console(
    node: &NetNode,
    c: &Client,
    admin: &ConsoleUser,
    mina: &ConsoleUser,
) {
    let base = node.url.as_str();
    // A new user, whose password is shown once.
    let (status, _, body) = submit(
        c,
        base,
        admin,
        "/console/admin/users",
        &[
            ("name", "omar"),
            ("display_name", "Omar <b>Q</b>"),
            ("email", "omar@csirt.pe.test"),
            ("role", "duty-officer"),
        ],
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("id=\"admin-notice\">✔"), "{body}");
    assert!(body.contains("Omar &#60;b&#62;Q&#60;/b&#62;"), "{body}");
    let password = between(&body, "<pre id=\"admin-secret\">", "</pre>");
    assert!(password.len() >= 12, "{password}");
    let r = node
        .client
        .post(format!("{base}/api/login"))
        .json(&json!({"username": "omar", "password": password}))
        .send()
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        403,
        "the password works; a second factor is due"
    );
    let (status, _, body) = submit(
        c,
        base,
        admin,
        "/console/admin/users",
        &[("name", "omar"), ("role", "analyst")],
    );
    assert_eq!(status, 409, "a taken name is refused");
    assert!(body.contains("id=\"admin-notice\">✘"), "{body}");
    let (status, _, body) = submit(
        c,
        base,
        admin,
        "/console/admin/users",
        &[("name", "x y"), ("role", "analyst")],
    );
    assert_eq!(status, 400);
    assert!(body.contains("user name"), "{body}");

    // Roles change, but never one's own, and only by an admin.
    let (status, _, body) = submit(
        c,
        base,
        admin,
        "/console/admin/users/omar",
        &[("action", "role"), ("role", "read-only")],
    );
    assert_eq!(status, 200, "{body}");
    let users: Value = node
        .client
        .get(format!("{base}/api/users"))
        .bearer_auth(node.token("admin", &["--user", "admin"]))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let omar = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "omar")
        .unwrap();
    assert_eq!(omar["role"], "read-only");
    let (status, _, body) = submit(
        c,
        base,
        admin,
        "/console/admin/users/admin",
        &[("action", "role"), ("role", "analyst")],
    );
    assert_eq!(status, 409, "{body}");
    let (status, _, _) = submit(
        c,
        base,
        admin,
        "/console/admin/users/omar",
        &[("action", "role"), ("role", "peer-node")],
    );
    assert_eq!(status, 400);
    let (status, _, _) = submit(
        c,
        base,
        mina,
        "/console/admin/users/omar",
        &[("action", "role"), ("role", "admin")],
    );
    assert_eq!(status, 403);

    // A token, shown once, that works at once.
    let (status, _, body) = submit(
        c,
        base,
        admin,
        "/console/admin/tokens",
        &[
            ("user", ""),
            ("role", "read-only"),
            ("scope", "api"),
            ("label", "SIEM"),
            ("expires_in_days", "30"),
        ],
    );
    assert_eq!(status, 200, "{body}");
    let token = between(&body, "<pre id=\"admin-secret\">", "</pre>");
    let r = node
        .client
        .get(format!("{base}/api/teams"))
        .bearer_auth(&token)
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let (status, _, body) = submit(
        c,
        base,
        admin,
        "/console/admin/tokens",
        &[
            ("role", "analyst"),
            ("scope", "api"),
            ("expires_in_days", "0"),
        ],
    );
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("expires in days"), "{body}");

    // The outbound policy: a typo is named and what was typed is kept.
    let typo = r#"{"deny_typos": ["incident"]}"#;
    let (status, _, body) = submit(
        c,
        base,
        admin,
        "/console/admin/outbound",
        &[("policy", typo)],
    );
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("deny_typos"), "{body}");
    assert!(
        body.contains("{&#34;deny_typos&#34;: [&#34;incident&#34;]}"),
        "{body}"
    );
    let (status, _, body) = submit(
        c,
        base,
        admin,
        "/console/admin/outbound",
        &[("policy", r#"{"deny_types": ["incident"]}"#)],
    );
    assert_eq!(status, 200, "{body}");
    let effective = between(&body, "<pre id=\"outbound-effective\">", "</pre>");
    assert!(effective.contains("incident"), "{effective}");

    // The roster: a bad one is named; a good one puts someone on duty.
    let (status, _, body) = submit(
        c,
        base,
        admin,
        "/console/admin/roster",
        &[(
            "roster",
            r#"{"contacts": [{"name": "Desk", "role": "chief"}]}"#,
        )],
    );
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("chief"), "{body}");
    let always = r#"{"contacts": [{"name": "Night desk", "role": "primary", "email": "desk@csirt.pe.test",
        "windows": [{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "00:00", "end": "24:00", "tz": "America/Lima"}]}]}"#;
    let (status, _, body) = submit(
        c,
        base,
        admin,
        "/console/admin/roster",
        &[("roster", always)],
    );
    assert_eq!(status, 200, "{body}");
    let on_duty = between(&body, "aria-labelledby=\"onduty\"", "</table>");
    assert!(on_duty.contains("Night desk"), "{on_duty}");

    // A sharing group of the team's choosing.
    let team_id = node.team.clone();
    let (status, _, body) = submit(
        c,
        base,
        admin,
        "/console/admin/groups",
        &[("name", "andean"), ("members", team_id.as_str())],
    );
    assert_eq!(status, 200, "{body}");
    let groups: Value = node
        .client
        .get(format!("{base}/api/sharing-groups"))
        .bearer_auth(&token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(groups.to_string().contains("andean"), "{groups}");
    let (status, _, _) = submit(
        c,
        base,
        admin,
        "/console/admin/groups",
        &[("name", "andean"), ("members", "not-a-team")],
    );
    assert_eq!(status, 400);

    // Every change is in the audit log, marked as made in the console.
    let (_, audit) = page(c, base, admin, "/console/audit");
    for action in [
        "user.create",
        "user.role",
        "token.create",
        "outbound_policy.change",
        "roster.update",
        "group.put",
    ] {
        assert!(audit.contains(action), "{action}");
    }
}

#[test]
fn repeated_failures_lock_the_account_until_an_admin_unlocks_it() {
    let node = net_node("BO");
    let c = client();
    let base = node.url.as_str();
    let admin = console_sign_in(&c, base, "admin", &node.init.admin_password);
    let admin_token = node.token("admin", &["--user", "admin"]);
    let (status, _) = crate::helpers::json(
        node.client
            .post(format!("{base}/api/users"))
            .bearer_auth(&admin_token)
            .json(&json!({"name": "ana", "role": "analyst", "password": "the right password"}))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 201);
    let login = |password: &str| {
        node.client
            .post(format!("{base}/api/login"))
            .json(&json!({"username": "ana", "password": password}))
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    for _ in 0..5 {
        assert_eq!(login("a wrong password"), 401);
    }
    // Locked: even the right password is refused, and says why.
    let r = node
        .client
        .post(format!("{base}/api/login"))
        .json(&json!({"username": "ana", "password": "the right password"}))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 429);
    assert!(r.text().unwrap().contains("locked"));
    let (_, admin_page) = page(&c, base, &admin, "/console/admin");
    assert!(admin_page.contains("locked until"), "{admin_page}");
    let (status, _, _) = submit(
        &c,
        base,
        &admin,
        "/console/admin/users/ana",
        &[("action", "unlock")],
    );
    assert_eq!(status, 200);
    // Unlocked, the password is right but the node wants a second factor.
    assert_eq!(login("the right password"), 403);
}
