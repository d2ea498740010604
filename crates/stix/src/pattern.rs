//! The STIX 2.1 patterning language (STIX 2.1 §9), parsed by hand after
//! the OASIS grammar `STIXPattern.g4`: a lexer and a recursive-descent
//! parser with the grammar's precedence (FOLLOWEDBY < OR < AND between
//! observations, OR < AND inside one), qualifiers binding to the
//! observation before them. A pattern that does not parse gives the
//! character position of the error and what was expected there.
//!
//! The parser keeps what correlation needs: every comparison with its
//! object path, operator and literal ([`Pattern::comparisons`]).

use std::fmt;

/// A parsed pattern.
#[derive(Clone, Debug, PartialEq)]
pub struct Pattern(pub Observation);

#[derive(Clone, Debug, PartialEq)]
pub enum Observation {
    /// `[ … ]`
    Comparison(Comparison),
    And(Box<Observation>, Box<Observation>),
    Or(Box<Observation>, Box<Observation>),
    FollowedBy(Box<Observation>, Box<Observation>),
    Qualified(Box<Observation>, Qualifier),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Qualifier {
    /// `START t'…' STOP t'…'`
    StartStop(String, String),
    /// `WITHIN n SECONDS`
    Within(f64),
    /// `REPEATS n TIMES`
    Repeats(u64),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Comparison {
    And(Box<Comparison>, Box<Comparison>),
    Or(Box<Comparison>, Box<Comparison>),
    Test(PropTest),
}

/// One property test, e.g. `ipv4-addr:value = '198.51.100.1'`.
#[derive(Clone, Debug, PartialEq)]
pub struct PropTest {
    pub path: ObjectPath,
    pub negated: bool,
    pub operator: Operator,
    /// `None` for EXISTS.
    pub value: Option<Literal>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operator {
    Eq,
    Neq,
    Gt,
    Lt,
    Ge,
    Le,
    In,
    Like,
    Matches,
    IsSubset,
    IsSuperset,
    Exists,
}

/// `file:hashes.'SHA-256'`: the object type, then the property steps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectPath {
    pub object_type: String,
    pub steps: Vec<PathStep>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathStep {
    Key(String),
    /// `[n]`; `None` is `[*]`.
    Index(Option<i64>),
}

impl ObjectPath {
    /// The path after the type as written with dots, e.g. `hashes.SHA-256`
    /// or `extensions.x.y[*]`.
    pub fn property(&self) -> String {
        let mut out = String::new();
        for s in &self.steps {
            match s {
                PathStep::Key(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                }
                PathStep::Index(Some(i)) => out.push_str(&format!("[{i}]")),
                PathStep::Index(None) => out.push_str("[*]"),
            }
        }
        out
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
    /// Base64, as written.
    Binary(String),
    /// Hex digits, as written.
    Hex(String),
    Timestamp(String),
    Set(Vec<Literal>),
}

/// Why a pattern does not parse: where (a character offset from 0) and
/// what was wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("pattern error at character {position}: {message}")]
pub struct PatternError {
    pub position: usize,
    pub message: String,
}

/// Longest pattern read, in bytes; longer ones are refused, not parsed.
pub const MAX_PATTERN: usize = 64 * 1024;
/// Deepest nesting of parentheses and brackets.
const MAX_DEPTH: usize = 64;

/// Parses a STIX 2.1 pattern.
///
/// # Errors
/// [`PatternError`] with the position of the first thing that does not
/// fit the grammar.
pub fn parse(text: &str) -> Result<Pattern, PatternError> {
    if text.len() > MAX_PATTERN {
        return Err(PatternError {
            position: 0,
            message: format!("longer than {MAX_PATTERN} bytes"),
        });
    }
    let tokens = lex(text)?;
    let mut p = Parser {
        tokens,
        at: 0,
        depth: 0,
        end: text.chars().count(),
    };
    let o = p.observations()?;
    if let Some(t) = p.peek() {
        return Err(p.error_at(t.position, format!("unexpected {}", t.kind)));
    }
    Ok(Pattern(o))
}

impl Pattern {
    /// Every property test, in the order written.
    pub fn comparisons(&self) -> Vec<&PropTest> {
        let mut out = Vec::new();
        walk_observation(&self.0, &mut out);
        out
    }
}

fn walk_observation<'a>(o: &'a Observation, out: &mut Vec<&'a PropTest>) {
    match o {
        Observation::Comparison(c) => walk_comparison(c, out),
        Observation::And(a, b) | Observation::Or(a, b) | Observation::FollowedBy(a, b) => {
            walk_observation(a, out);
            walk_observation(b, out);
        }
        Observation::Qualified(o, _) => walk_observation(o, out),
    }
}

fn walk_comparison<'a>(c: &'a Comparison, out: &mut Vec<&'a PropTest>) {
    match c {
        Comparison::Test(t) => out.push(t),
        Comparison::And(a, b) | Comparison::Or(a, b) => {
            walk_comparison(a, out);
            walk_comparison(b, out);
        }
    }
}

// --- Lexer -------------------------------------------------------------

#[derive(Clone, Debug, PartialEq)]
enum Kind {
    LBrack,
    RBrack,
    LParen,
    RParen,
    Colon,
    Dot,
    Comma,
    Asterisk,
    Op(Operator),
    /// AND, OR, NOT, FOLLOWEDBY, START, STOP, WITHIN, SECONDS, REPEATS,
    /// TIMES, IN, LIKE, MATCHES, ISSUBSET, ISSUPERSET, EXISTS
    Keyword(&'static str),
    Ident(String),
    Lit(Literal),
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Kind::LBrack => write!(f, "'['"),
            Kind::RBrack => write!(f, "']'"),
            Kind::LParen => write!(f, "'('"),
            Kind::RParen => write!(f, "')'"),
            Kind::Colon => write!(f, "':'"),
            Kind::Dot => write!(f, "'.'"),
            Kind::Comma => write!(f, "','"),
            Kind::Asterisk => write!(f, "'*'"),
            Kind::Op(o) => write!(f, "operator {o:?}"),
            Kind::Keyword(k) => write!(f, "{k}"),
            Kind::Ident(i) => write!(f, "identifier {i:?}"),
            Kind::Lit(l) => write!(f, "literal {l:?}"),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
struct Token {
    kind: Kind,
    /// Character offset.
    position: usize,
}

const KEYWORDS: [&str; 16] = [
    "AND",
    "OR",
    "NOT",
    "FOLLOWEDBY",
    "START",
    "STOP",
    "WITHIN",
    "SECONDS",
    "REPEATS",
    "TIMES",
    "IN",
    "LIKE",
    "MATCHES",
    "ISSUBSET",
    "ISSUPERSET",
    "EXISTS",
];

fn lex(text: &str) -> Result<Vec<Token>, PatternError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let err = |position: usize, message: String| PatternError { position, message };
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        let next = chars.get(i + 1).copied();
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '/' && next == Some('*') {
            let end = (i + 2..chars.len().saturating_sub(1))
                .find(|&j| chars[j] == '*' && chars[j + 1] == '/')
                .ok_or_else(|| err(i, "a comment that never ends".into()))?;
            i = end + 2;
            continue;
        }
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' && chars[i] != '\r' {
                i += 1;
            }
            continue;
        }
        let simple = match c {
            '[' => Some(Kind::LBrack),
            ']' => Some(Kind::RBrack),
            '(' => Some(Kind::LParen),
            ')' => Some(Kind::RParen),
            ':' => Some(Kind::Colon),
            ',' => Some(Kind::Comma),
            '*' => Some(Kind::Asterisk),
            _ => None,
        };
        if let Some(kind) = simple {
            out.push(Token {
                kind,
                position: start,
            });
            i += 1;
            continue;
        }
        let two: String = chars[i..chars.len().min(i + 2)].iter().collect();
        let op = match two.as_str() {
            "==" => Some((Operator::Eq, 2)),
            "!=" | "<>" => Some((Operator::Neq, 2)),
            "<=" => Some((Operator::Le, 2)),
            ">=" => Some((Operator::Ge, 2)),
            _ => match c {
                '=' => Some((Operator::Eq, 1)),
                '<' => Some((Operator::Lt, 1)),
                '>' => Some((Operator::Gt, 1)),
                _ => None,
            },
        };
        if let Some((op, len)) = op {
            out.push(Token {
                kind: Kind::Op(op),
                position: start,
            });
            i += len;
            continue;
        }
        if c == '\'' {
            let (s, end) = string(&chars, i)?;
            out.push(Token {
                kind: Kind::Lit(Literal::Str(s)),
                position: start,
            });
            i = end;
            continue;
        }
        if matches!(c, 't' | 'h' | 'b') && next == Some('\'') {
            let (s, end) = string(&chars, i + 1)?;
            let lit = match c {
                't' => timestamp(&s).map(|_| Literal::Timestamp(s.clone())),
                'h' => (s.len().is_multiple_of(2) && s.chars().all(|c| c.is_ascii_hexdigit()))
                    .then(|| Literal::Hex(s.clone())),
                _ => base64(&s).then(|| Literal::Binary(s.clone())),
            }
            .ok_or_else(|| {
                let what = match c {
                    't' => "an RFC 3339 UTC timestamp (t'2024-01-31T12:00:00Z')",
                    'h' => "pairs of hexadecimal digits",
                    _ => "base64",
                };
                err(start, format!("{c}'{s}' is not {what}"))
            })?;
            out.push(Token {
                kind: Kind::Lit(lit),
                position: start,
            });
            i = end;
            continue;
        }
        if c.is_ascii_digit()
            || (matches!(c, '+' | '-' | '.')
                && next.is_some_and(|n| n.is_ascii_digit() || n == '.'))
        {
            if c == '.' && !next.is_some_and(|n| n.is_ascii_digit()) {
                // A path step, not a number.
            } else {
                let (lit, end) = number(&chars, i)?;
                out.push(Token {
                    kind: Kind::Lit(lit),
                    position: start,
                });
                i = end;
                continue;
            }
        }
        if c == '.' {
            out.push(Token {
                kind: Kind::Dot,
                position: start,
            });
            i += 1;
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' {
            let mut j = i;
            while j < chars.len()
                && (chars[j].is_ascii_alphanumeric() || matches!(chars[j], '_' | '-'))
            {
                j += 1;
            }
            let word: String = chars[i..j].iter().collect();
            let kind = if let Some(k) = KEYWORDS.iter().find(|k| **k == word) {
                Kind::Keyword(k)
            } else if word == "true" || word == "false" {
                Kind::Lit(Literal::Bool(word == "true"))
            } else {
                Kind::Ident(word)
            };
            out.push(Token {
                kind,
                position: start,
            });
            i = j;
            continue;
        }
        return Err(err(start, format!("unexpected character {c:?}")));
    }
    Ok(out)
}

/// A quoted string starting at `chars[at] == '\''`: its value and the
/// index after the closing quote. Only `\'` and `\\` are escapes.
fn string(chars: &[char], at: usize) -> Result<(String, usize), PatternError> {
    let mut s = String::new();
    let mut i = at + 1;
    while i < chars.len() {
        match chars[i] {
            '\'' => return Ok((s, i + 1)),
            '\\' => match chars.get(i + 1) {
                Some(&c @ ('\'' | '\\')) => {
                    s.push(c);
                    i += 2;
                }
                _ => {
                    return Err(PatternError {
                        position: i,
                        message: "only \\' and \\\\ are escapes in a string".into(),
                    })
                }
            },
            c => {
                s.push(c);
                i += 1;
            }
        }
    }
    Err(PatternError {
        position: at,
        message: "a string that is never closed".into(),
    })
}

fn number(chars: &[char], at: usize) -> Result<(Literal, usize), PatternError> {
    let mut j = at;
    if matches!(chars[j], '+' | '-') {
        j += 1;
    }
    while j < chars.len() && (chars[j].is_ascii_digit() || chars[j] == '.') {
        j += 1;
    }
    let text: String = chars[at..j].iter().collect();
    let digits = text.trim_start_matches(['+', '-']);
    let bad = || PatternError {
        position: at,
        message: format!("{text:?} is not a number"),
    };
    if digits.contains('.') {
        let (_, frac) = digits.split_once('.').ok_or_else(bad)?;
        if frac.is_empty() || frac.contains('.') {
            return Err(bad());
        }
        Ok((Literal::Float(text.parse().map_err(|_| bad())?), j))
    } else {
        if digits.len() > 1 && digits.starts_with('0') {
            return Err(bad());
        }
        Ok((Literal::Int(text.parse().map_err(|_| bad())?), j))
    }
}

fn timestamp(s: &str) -> Option<()> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b.get(r.clone())
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    let ok = b.len() >= 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && b.last() == Some(&b'Z')
        && (b.len() == 20 || (b[19] == b'.' && b.len() > 21 && digits(20..b.len() - 1)));
    // The shape above is the grammar's; the calendar check is RFC 3339's.
    (ok && crate::Timestamp::parse(s).is_ok()).then_some(())
}

fn base64(s: &str) -> bool {
    let body = s.trim_end_matches('=');
    s.len().is_multiple_of(4)
        && s.len() - body.len() <= 2
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

// --- Parser ------------------------------------------------------------

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    depth: usize,
    /// Character count, the position of "end of pattern".
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn position(&self) -> usize {
        self.peek().map_or(self.end, |t| t.position)
    }

    fn error_at(&self, position: usize, message: String) -> PatternError {
        PatternError { position, message }
    }

    fn expected(&self, what: &str) -> PatternError {
        let found = self.peek().map_or_else(
            || "the end of the pattern".to_owned(),
            |t| t.kind.to_string(),
        );
        self.error_at(self.position(), format!("expected {what}, found {found}"))
    }

    fn eat(&mut self, kind: &Kind) -> bool {
        if self.peek().is_some_and(|t| &t.kind == kind) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn keyword(&mut self, k: &'static str) -> bool {
        self.eat(&Kind::Keyword(k))
    }

    fn expect(&mut self, kind: Kind, what: &str) -> Result<(), PatternError> {
        if self.eat(&kind) {
            Ok(())
        } else {
            Err(self.expected(what))
        }
    }

    fn deeper(&mut self) -> Result<(), PatternError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error_at(self.position(), format!("nested deeper than {MAX_DEPTH}")));
        }
        Ok(())
    }

    /// observationExpressions: FOLLOWEDBY, then OR, then AND.
    fn observations(&mut self) -> Result<Observation, PatternError> {
        let mut left = self.observation_or()?;
        while self.keyword("FOLLOWEDBY") {
            let right = self.observation_or()?;
            left = Observation::FollowedBy(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn observation_or(&mut self) -> Result<Observation, PatternError> {
        let mut left = self.observation_and()?;
        while self.keyword("OR") {
            let right = self.observation_and()?;
            left = Observation::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn observation_and(&mut self) -> Result<Observation, PatternError> {
        let mut left = self.observation()?;
        while self.keyword("AND") {
            let right = self.observation()?;
            left = Observation::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn observation(&mut self) -> Result<Observation, PatternError> {
        self.deeper()?;
        let mut o = if self.eat(&Kind::LBrack) {
            let c = self.comparison_or()?;
            self.expect(Kind::RBrack, "']' or AND/OR")?;
            Observation::Comparison(c)
        } else if self.eat(&Kind::LParen) {
            let o = self.observations()?;
            self.expect(Kind::RParen, "')'")?;
            o
        } else {
            return Err(self.expected("'[' or '('"));
        };
        while let Some(q) = self.qualifier()? {
            o = Observation::Qualified(Box::new(o), q);
        }
        self.depth -= 1;
        Ok(o)
    }

    fn qualifier(&mut self) -> Result<Option<Qualifier>, PatternError> {
        if self.keyword("START") {
            let start = self.timestamp_literal()?;
            if !self.keyword("STOP") {
                return Err(self.expected("STOP"));
            }
            let stop = self.timestamp_literal()?;
            return Ok(Some(Qualifier::StartStop(start, stop)));
        }
        if self.keyword("WITHIN") {
            let at = self.position();
            let secs = match self.literal() {
                Some(Literal::Int(n)) if n > 0 => n as f64,
                Some(Literal::Float(f)) if f > 0.0 => f,
                _ => return Err(self.error_at(at, "expected a positive number of seconds".into())),
            };
            if !self.keyword("SECONDS") {
                return Err(self.expected("SECONDS"));
            }
            return Ok(Some(Qualifier::Within(secs)));
        }
        if self.keyword("REPEATS") {
            let at = self.position();
            let n = match self.literal() {
                Some(Literal::Int(n)) if n > 0 => n as u64,
                _ => {
                    return Err(
                        self.error_at(at, "expected a positive whole number of repeats".into())
                    )
                }
            };
            if !self.keyword("TIMES") {
                return Err(self.expected("TIMES"));
            }
            return Ok(Some(Qualifier::Repeats(n)));
        }
        Ok(None)
    }

    fn timestamp_literal(&mut self) -> Result<String, PatternError> {
        match self.peek().map(|t| t.kind.clone()) {
            Some(Kind::Lit(Literal::Timestamp(t))) => {
                self.at += 1;
                Ok(t)
            }
            _ => Err(self.expected("a timestamp t'…'")),
        }
    }

    /// The next token if it is a literal.
    fn literal(&mut self) -> Option<Literal> {
        match self.peek().map(|t| t.kind.clone()) {
            Some(Kind::Lit(l)) => {
                self.at += 1;
                Some(l)
            }
            _ => None,
        }
    }

    fn comparison_or(&mut self) -> Result<Comparison, PatternError> {
        let mut left = self.comparison_and()?;
        while self.keyword("OR") {
            let right = self.comparison_and()?;
            left = Comparison::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn comparison_and(&mut self) -> Result<Comparison, PatternError> {
        let mut left = self.prop_test()?;
        while self.keyword("AND") {
            let right = self.prop_test()?;
            left = Comparison::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn prop_test(&mut self) -> Result<Comparison, PatternError> {
        if self.eat(&Kind::LParen) {
            self.deeper()?;
            let c = self.comparison_or()?;
            self.expect(Kind::RParen, "')'")?;
            self.depth -= 1;
            return Ok(c);
        }
        let negated = self.keyword("NOT");
        if self.keyword("EXISTS") {
            let path = self.object_path()?;
            return Ok(Comparison::Test(PropTest {
                path,
                negated,
                operator: Operator::Exists,
                value: None,
            }));
        }
        if negated {
            return Err(self.expected("EXISTS"));
        }
        let path = self.object_path()?;
        let negated = self.keyword("NOT");
        let operator = match self.peek().map(|t| t.kind.clone()) {
            Some(Kind::Op(o)) => {
                self.at += 1;
                o
            }
            Some(Kind::Keyword(k)) => {
                let o = match k {
                    "IN" => Operator::In,
                    "LIKE" => Operator::Like,
                    "MATCHES" => Operator::Matches,
                    "ISSUBSET" => Operator::IsSubset,
                    "ISSUPERSET" => Operator::IsSuperset,
                    _ => return Err(self.expected("a comparison operator")),
                };
                self.at += 1;
                o
            }
            _ => return Err(self.expected("a comparison operator")),
        };
        let value = self.value_for(operator)?;
        Ok(Comparison::Test(PropTest {
            path,
            negated,
            operator,
            value: Some(value),
        }))
    }

    fn value_for(&mut self, operator: Operator) -> Result<Literal, PatternError> {
        let at = self.position();
        match operator {
            Operator::In => {
                self.expect(Kind::LParen, "'(' starting a set")?;
                let mut items = Vec::new();
                if !self.eat(&Kind::RParen) {
                    loop {
                        match self.literal() {
                            Some(l) => items.push(l),
                            None => return Err(self.expected("a literal in the set")),
                        }
                        if self.eat(&Kind::RParen) {
                            break;
                        }
                        self.expect(Kind::Comma, "',' or ')'")?;
                    }
                }
                Ok(Literal::Set(items))
            }
            Operator::Like | Operator::Matches | Operator::IsSubset | Operator::IsSuperset => {
                match self.literal() {
                    Some(Literal::Str(s)) => Ok(Literal::Str(s)),
                    _ => Err(self.error_at(at, "expected a string literal".into())),
                }
            }
            Operator::Gt | Operator::Lt | Operator::Ge | Operator::Le => match self.literal() {
                Some(Literal::Bool(_)) | Some(Literal::Set(_)) | None => {
                    Err(self.error_at(at, "expected an orderable literal".into()))
                }
                Some(l) => Ok(l),
            },
            Operator::Eq | Operator::Neq | Operator::Exists => match self.literal() {
                Some(Literal::Set(_)) | None => Err(self.error_at(at, "expected a literal".into())),
                Some(l) => Ok(l),
            },
        }
    }

    fn object_path(&mut self) -> Result<ObjectPath, PatternError> {
        let object_type = match self.peek().map(|t| t.kind.clone()) {
            Some(Kind::Ident(i)) => {
                self.at += 1;
                i
            }
            _ => return Err(self.expected("an object type (e.g. ipv4-addr)")),
        };
        self.expect(Kind::Colon, "':' after the object type")?;
        let mut steps = vec![PathStep::Key(self.key("a property name")?)];
        loop {
            if self.eat(&Kind::Dot) {
                steps.push(PathStep::Key(self.key("a property name after '.'")?));
            } else if self.peek().is_some_and(|t| t.kind == Kind::LBrack) {
                self.at += 1;
                let step = if self.eat(&Kind::Asterisk) {
                    PathStep::Index(None)
                } else {
                    match self.literal() {
                        Some(Literal::Int(n)) => PathStep::Index(Some(n)),
                        _ => return Err(self.expected("a list index or '*'")),
                    }
                };
                self.expect(Kind::RBrack, "']' closing the index")?;
                steps.push(step);
            } else {
                break;
            }
        }
        Ok(ObjectPath { object_type, steps })
    }

    fn key(&mut self, what: &str) -> Result<String, PatternError> {
        match self.peek().map(|t| t.kind.clone()) {
            Some(Kind::Ident(i)) if !i.contains('-') => {
                self.at += 1;
                Ok(i)
            }
            Some(Kind::Lit(Literal::Str(s))) => {
                self.at += 1;
                Ok(s)
            }
            _ => Err(self.expected(what)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn tests_of(p: &str) -> Vec<(String, String, Operator, Option<Literal>)> {
        parse(p)
            .unwrap_or_else(|e| panic!("{p}: {e}"))
            .comparisons()
            .into_iter()
            .map(|t| {
                (
                    t.path.object_type.clone(),
                    t.path.property(),
                    t.operator,
                    t.value.clone(),
                )
            })
            .collect()
    }

    #[test]
    fn the_specifications_examples_parse() {
        for p in [
            "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
            "[email-message:from_ref.value MATCHES '.+\\\\@example\\\\.com$' AND email-message:body_multipart[*].body_raw_ref.name LIKE 'pdf%']",
            "[ipv4-addr:value = '198.51.100.1/32' OR ipv4-addr:value = '203.0.113.33/32' OR ipv6-addr:value = '2001:0db8:dead:beef:dead:beef:dead:0001/128']",
            "[domain-name:value = 'example.com'] AND [url:value = 'http://example.com/foo'] WITHIN 300 SECONDS",
            "([file:name = 'foo.dll'] AND [win-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\foo\\\\bar']) OR [process:name = 'fooproc' OR process:name = 'procfoo']",
            "[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = 'example.com'] REPEATS 5 TIMES WITHIN 180 SECONDS",
            "[file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4'] FOLLOWEDBY [windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\foo\\\\bar'] WITHIN 300 SECONDS",
            "[x509-certificate:issuer = 'CN=WEBMAIL' AND x509-certificate:serial_number = '4c:0b:1d:19:74:86:a7:66:b4:1a:bf:40:27:21:76:28']",
            "[user-account:account_type = 'unix' AND user-account:user_id = '1007' AND user-account:account_login = 'Peter'] START t'2016-01-01T00:00:00Z' STOP t'2016-02-01T00:00:00.000Z'",
            "[artifact:mime_type = 'application/vnd.tcpdump.pcap' AND artifact:payload_bin MATCHES '\\\\xd4\\\\xc3\\\\xb2\\\\xa1\\\\x02\\\\x00\\\\x04\\\\x00']",
            "[network-traffic:src_port IN (22, 23, 3389) AND NOT EXISTS network-traffic:extensions.'http-request-ext']",
            "[ipv4-addr:value ISSUBSET '198.51.100.0/24'] /* a comment */",
            "[file:size > 1024.5 AND file:hashes.'SHA-1' != h'00ff' AND artifact:payload_bin = b'aGVsbG8=']",
        ] {
            assert!(parse(p).is_ok(), "{p}: {:?}", parse(p));
        }
    }

    #[test]
    fn comparisons_carry_type_property_operator_and_value() {
        assert_eq!(
            tests_of(
                "[file:hashes.'SHA-256' = 'ab' OR ipv4-addr:value NOT IN ('10.0.0.1', '10.0.0.2')]"
            ),
            vec![
                (
                    "file".into(),
                    "hashes.SHA-256".into(),
                    Operator::Eq,
                    Some(Literal::Str("ab".into()))
                ),
                (
                    "ipv4-addr".into(),
                    "value".into(),
                    Operator::In,
                    Some(Literal::Set(vec![
                        Literal::Str("10.0.0.1".into()),
                        Literal::Str("10.0.0.2".into())
                    ]))
                ),
            ]
        );
        let t = &parse("[email-message:to_refs[2].value = 'a\\'b\\\\c']").unwrap();
        let c = t.comparisons()[0];
        assert_eq!(c.path.property(), "to_refs[2].value");
        assert_eq!(c.value, Some(Literal::Str("a'b\\c".into())));
    }

    #[test]
    fn precedence_follows_the_grammar() {
        let p = parse("[a:b = 1] AND [c:d = 2] OR [e:f = 3] FOLLOWEDBY [g:h = 4]").unwrap();
        match p.0 {
            Observation::FollowedBy(left, _) => match *left {
                Observation::Or(l, _) => assert!(matches!(*l, Observation::And(_, _))),
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
        match parse("[a:b = 1 OR a:b = 2 AND a:c = 3]").unwrap().0 {
            Observation::Comparison(Comparison::Or(_, right)) => {
                assert!(matches!(*right, Comparison::And(_, _)))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn errors_name_the_position_and_what_was_expected() {
        let e = |p: &str| parse(p).unwrap_err();
        assert_eq!(e("").position, 0);
        assert!(e("").message.contains("expected '[' or '('"));
        let x = e("[ipv4-addr:value = '1.2.3.4'");
        assert_eq!(x.position, 28);
        assert!(x.message.contains("']'"), "{x}");
        let x = e("[ipv4-addr:value == ]");
        assert_eq!(x.position, 20, "{x}");
        let x = e("[ipv4-addr value = 'x']");
        assert_eq!(x.position, 11, "{x}");
        assert_eq!(e("[a:b = 'x'] WITHIN -5 SECONDS").position, 19);
        assert_eq!(e("[a:b = t'2016-13-01T00:00:00Z']").position, 7);
        assert_eq!(e("[a:b = 'never closed]").position, 7);
        assert_eq!(e("[a:b = 1] junk").position, 10);
        assert_eq!(e("[a:b = 007]").position, 7);
        assert_eq!(e("[a:b LIKE 5]").position, 10);
        assert!(e(&"(".repeat(100)).message.contains("nested deeper"));
    }

    /// Every indicator pattern in the OASIS examples (`../shared/data`).
    #[test]
    fn every_pattern_in_the_oasis_examples_parses() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/data/stix-2.1/examples");
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (../shared must sit beside the checkout)",
                dir.display()
            )
        });
        let mut seen = 0;
        for entry in entries {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let v: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let objects = v["objects"]
                .as_array()
                .cloned()
                .unwrap_or_else(|| vec![v.clone()]);
            for o in objects {
                if let Some(p) = o["pattern"].as_str() {
                    parse(p).unwrap_or_else(|e| panic!("{}: {p}: {e}", path.display()));
                    seen += 1;
                }
            }
        }
        assert!(seen >= 5, "only {seen} patterns found in {}", dir.display());
    }

    proptest! {
        #[test]
        fn any_text_parses_or_fails_without_panicking(s in ".{0,200}") {
            let _ = parse(&s);
        }

        #[test]
        fn token_soup_parses_or_fails_without_panicking(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just("["), Just("]"), Just("("), Just(")"), Just(" AND "), Just(" OR "),
                    Just(" FOLLOWEDBY "), Just("ipv4-addr:value"), Just(" = "), Just("'x'"),
                    Just(" IN "), Just(" WITHIN 5 SECONDS"), Just("NOT "), Just("EXISTS "),
                    Just(","), Just("t'2020-01-01T00:00:00Z'"), Just("-1"), Just(".5"),
                ],
                0..30,
            )
        ) {
            let _ = parse(&parts.concat());
        }
    }
}
