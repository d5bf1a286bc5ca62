//! Open edX `use_lti_pii`: for a consumer that opts in, the name and email a launch carries
//! (`lis_person_*`) fill the learner's profile where it is empty. A value already there is
//! never overwritten (the learner may have corrected their name to match their ID), and
//! the email is never used to find or link an account. A value that could not be a name or
//! an address is dropped, not refused: these fields are optional in LTI.

use super::params::Person;

/// The longest name or email kept (the size Open edX gives them).
const MAX_CHARS: usize = 254;

/// What a launch may fill in.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Pii {
    /// The full name: `lis_person_name_full`, else the given and family names.
    pub full_name: Option<String>,
    /// `lis_person_contact_email_primary`.
    pub email: Option<String>,
}

impl Pii {
    /// Whether there is nothing to fill.
    pub fn is_empty(&self) -> bool {
        self.full_name.is_none() && self.email.is_none()
    }
}

fn usable(s: &str) -> bool {
    !s.is_empty() && s.chars().count() <= MAX_CHARS && !s.chars().any(char::is_control)
}

/// The name and email of `person`, each kept only when usable.
pub fn from_person(person: &Person) -> Pii {
    let joined = || {
        let parts: Vec<&str> = [&person.name_given, &person.name_family]
            .into_iter()
            .flatten()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    };
    let full_name = person
        .name_full
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .or_else(joined)
        .filter(|s| usable(s));
    let email = person.email.as_deref().map(str::trim).filter(|e| usable(e) && is_address(e)).map(str::to_owned);
    Pii { full_name, email }
}

/// One `@` between a non-empty local part and a domain with a dot, and no spaces.
fn is_address(e: &str) -> bool {
    match e.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && !e.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(full: Option<&str>, given: Option<&str>, family: Option<&str>, email: Option<&str>) -> Person {
        Person {
            name_full: full.map(Into::into),
            name_given: given.map(Into::into),
            name_family: family.map(Into::into),
            email: email.map(Into::into),
        }
    }

    #[test]
    fn full_name_first_then_given_and_family() {
        let p = from_person(&person(Some(" Ada Lovelace "), Some("A"), Some("L"), Some("ada@example.edu")));
        assert_eq!(p, Pii { full_name: Some("Ada Lovelace".into()), email: Some("ada@example.edu".into()) });
        let p = from_person(&person(None, Some("Ada"), Some("Lovelace"), None));
        assert_eq!(p.full_name.as_deref(), Some("Ada Lovelace"));
        let p = from_person(&person(Some("  "), None, Some("Lovelace"), None));
        assert_eq!(p.full_name.as_deref(), Some("Lovelace"));
        assert!(from_person(&Person::default()).is_empty());
    }

    #[test]
    fn unusable_values_are_dropped() {
        for bad in ["ada", "ada@", "@example.edu", "ada@example", "a da@example.edu", "ada@@example.edu", "ada@.edu"] {
            assert_eq!(from_person(&person(None, None, None, Some(bad))).email, None, "{bad}");
        }
        assert_eq!(from_person(&person(Some("Ada\u{7}"), None, None, None)).full_name, None);
        assert_eq!(from_person(&person(Some(&"x".repeat(255)), None, None, None)).full_name, None);
    }
}
