//! The web console over HTTP (the browser-driven scenario comes with the
//! rest of the console): sign-in with cookie flags and CSRF, the strict
//! Content-Security-Policy, escaping of free text, the four languages,
//! page weight, and sign-out that revokes the session.

use reqwest::blocking::{Client, Response};
use reqwest::header::{HeaderMap, ACCEPT_LANGUAGE, COOKIE, LOCATION, SET_COOKIE};
use serde_json::json;

use crate::federation_net::{eventually, net_node};

fn client() -> Client {
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
    assert!(page.contains("Wrong user name or password."), "{page}");
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
    let set = set_cookies(r.headers());
    let session = cookie_value(&set, "vigia_session").expect("a session cookie");
    let flags = set
        .iter()
        .find(|c| c.starts_with("vigia_session="))
        .unwrap();
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
        assert!(flags.contains(flag), "{flags}");
    }
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
