//! The committed header must be exactly what build.rs generates now.

#[test]
fn committed_header_matches_the_generated_one() {
    let fresh = include_str!(concat!(env!("OUT_DIR"), "/binance_algo.h"));
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/binance_algo.h"))
        .expect("include/binance_algo.h is missing");
    assert!(
        committed == fresh,
        "include/binance_algo.h differs from the header generated from src/ffi: run `make header` and commit it"
    );
}

#[test]
fn header_names_are_all_prefixed() {
    let header = include_str!(concat!(env!("OUT_DIR"), "/binance_algo.h"));
    // Declared names: macros, typedef names, enum variants, function names.
    let mut names = Vec::new();
    for line in header.lines() {
        let t = line.split("//").next().unwrap_or_default().trim();
        if let Some(rest) = t.strip_prefix("#define ") {
            names.extend(rest.split_whitespace().next());
        } else if let Some(rest) = t.strip_prefix("typedef ") {
            // A function pointer type is named inside `(*name)`.
            match rest.split_once("(*").and_then(|(_, r)| r.split_once(')')) {
                Some((name, _)) => names.push(name),
                None => names.extend(rest.trim_end_matches([';', '{', ' ']).rsplit(' ').next()),
            }
        } else if let Some(rest) = t.strip_prefix("} ") {
            names.extend(Some(rest.trim_end_matches(';').trim()).filter(|n| !n.is_empty()));
        } else if t.starts_with("BINANCE_") && t.contains(" = ") {
            names.extend(t.split(' ').next());
        } else if !line.starts_with(' ')
            && t.contains('(')
            && !t.starts_with('#')
            && !t.starts_with('/')
            && !t.starts_with('*')
        {
            let before = &t[..t.find('(').unwrap()];
            names.extend(before.rsplit([' ', '*']).next());
        }
    }
    assert!(names.len() > 30, "parsed too few names: {names:?}");
    for name in names {
        assert!(name.starts_with("binance_") || name.starts_with("BINANCE_"), "unprefixed name {name:?}");
    }
}
