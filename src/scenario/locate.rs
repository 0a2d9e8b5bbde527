//! Finds where a dotted key path (`services.ru.publicity`, `event.fogle.date`, `event.#3.id`)
//! is written in a TOML text, so validation errors can name a line and column.

use toml::de::{DeTable, DeValue};

/// Byte offset of the deepest part of `path` found in `text`: the value itself when it is
/// written, otherwise the closest enclosing table or element. `None` if nothing matches.
pub fn locate(text: &str, path: &str) -> Option<usize> {
    locate_detailed(text, path).map(|(offset, _)| offset)
}

/// Like [`locate`], also telling whether the whole path was found (`true`) or only a prefix.
pub fn locate_detailed(text: &str, path: &str) -> Option<(usize, bool)> {
    let mut complete = false;
    let found = walk(text, path, &mut complete)?;
    Some((found, complete))
}

fn walk(text: &str, path: &str, complete: &mut bool) -> Option<usize> {
    let root = DeTable::parse(text).ok()?;
    let segments: Vec<&str> = path.split('.').collect();
    let mut found = None;
    let mut table: &DeTable = root.get_ref();
    let mut index = 0;
    while index < segments.len() {
        // A key may itself contain dots when quoted (`"services.ru.publicity" = 0.1` in `[set]`):
        // try the longest run of segments first.
        let Some((width, key, value)) = (1..=segments.len() - index).rev().find_map(|width| {
            let candidate = segments[index..index + width].join(".");
            table
                .iter()
                .find(|(k, _)| k.get_ref().as_ref() == candidate)
                .map(|(k, v)| (width, k, v))
        }) else {
            return found;
        };
        let segment_end = index + width - 1;
        found = Some(key.span().start);
        index = segment_end;
        match value.get_ref() {
            DeValue::Table(inner) => {
                table = inner;
                index += 1;
            }
            DeValue::Array(array) => {
                // Arrays of tables are addressed by element id or by `#<index>`.
                let Some(selector) = segments.get(index + 1) else {
                    return found;
                };
                let element = match selector.strip_prefix('#') {
                    Some(n) => n.parse::<usize>().ok().and_then(|n| array.get(n)),
                    None => array.iter().find(|e| {
                        e.get_ref()
                            .as_table()
                            .and_then(|t| t.iter().find(|(k, _)| k.get_ref().as_ref() == "id"))
                            .and_then(|(_, v)| v.get_ref().as_str())
                            == Some(selector)
                    }),
                };
                let Some(element) = element else { return found };
                found = Some(element.span().start);
                match element.get_ref() {
                    DeValue::Table(inner) => table = inner,
                    _ => return found,
                }
                index += 2;
            }
            _ => {
                found = Some(value.span().start);
                index += 1;
                if index < segments.len() {
                    return found;
                }
            }
        }
    }
    *complete = true;
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::error::line_column;

    const TEXT: &str = "name = \"x\"\n[services.ru]\npublicity = 1.5\n\n[[event]]\nid = \"a\"\n\n[[event]]\nid = \"fogle\"\ndate = 2013-05-14\n";

    fn at(path: &str) -> Option<(usize, usize)> {
        locate(TEXT, path).map(|o| line_column(TEXT, o))
    }

    #[test]
    fn finds_quoted_dotted_keys() {
        let text = "[set]\n\"a.b\" = 1\n\"services.ru.publicity\" = 2\n";
        assert_eq!(
            locate(text, "set.services.ru.publicity").map(|o| line_column(text, o)),
            Some((3, 1 + 26))
        );
    }

    #[test]
    fn finds_values_in_tables_and_events_by_id_or_index() {
        assert_eq!(at("services.ru.publicity"), Some((3, 13)));
        assert_eq!(at("event.fogle.date"), Some((10, 8)));
        assert_eq!(at("event.#1.id"), Some((9, 6)));
    }

    #[test]
    fn falls_back_to_the_closest_enclosing_key() {
        assert_eq!(at("services.ru.secrecy").map(|p| p.0), Some(2));
        assert_eq!(at("nothing.here"), None);
    }
}
