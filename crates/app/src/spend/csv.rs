//! CSV records as RFC 4180 writes them: fields separated by commas, a field
//! in double quotes may hold commas, line breaks and `""` for a quote. A
//! campaign name with a comma is common enough that splitting lines on
//! commas would misread real exports.

/// Each record that is not blank, with the line it starts on (from 1). A
/// byte order mark and `\r\n` line ends are read as spreadsheets write them.
pub(super) fn records(text: &str) -> Result<Vec<(usize, Vec<String>)>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let (mut fields, mut field) = (Vec::new(), String::new());
    let (mut line, mut start) = (1, 1);
    let (mut quoted, mut was_quoted) = (false, false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            '"' if quoted => quoted = false,
            '"' if field.is_empty() && !was_quoted => (quoted, was_quoted) = (true, true),
            '\n' if quoted => {
                line += 1;
                field.push(c);
            }
            _ if quoted => field.push(c),
            ',' => {
                fields.push(std::mem::take(&mut field));
                was_quoted = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                fields.push(std::mem::take(&mut field));
                was_quoted = false;
                push(&mut records, start, std::mem::take(&mut fields));
                line += 1;
                start = line;
            }
            _ => field.push(c),
        }
    }
    if quoted {
        return Err(format!("line {start}: a quoted field is not closed"));
    }
    fields.push(field);
    push(&mut records, start, fields);
    Ok(records)
}

fn push(records: &mut Vec<(usize, Vec<String>)>, line: usize, fields: Vec<String>) {
    if fields.iter().any(|f| !f.trim().is_empty()) {
        records.push((line, fields));
    }
}

#[cfg(test)]
mod tests {
    use super::records;

    #[test]
    fn quoted_fields_keep_commas_quotes_and_line_breaks() {
        let text = "\u{feff}a,b,c\r\n1,\"x, \"\"y\"\"\",3\r\n\n2,\"two\nlines\",4\n,,\n5,,";
        let got = records(text).unwrap();
        let want: Vec<(usize, Vec<&str>)> = vec![
            (1, vec!["a", "b", "c"]),
            (2, vec!["1", "x, \"y\"", "3"]),
            (4, vec!["2", "two\nlines", "4"]),
            (7, vec!["5", "", ""]),
        ];
        let got: Vec<(usize, Vec<&str>)> = got
            .iter()
            .map(|(line, fields)| (*line, fields.iter().map(String::as_str).collect()))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn an_open_quote_names_the_line_it_opened_on() {
        let error = records("a,b\n1,\"open\n2,3\n").unwrap_err();
        assert_eq!(error, "line 2: a quoted field is not closed");
    }
}
