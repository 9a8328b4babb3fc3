//! Data that cannot be represented is rejected, with the row and column.

use nninit_lab::data::{load_split, parse_csv};

#[test]
fn byte_order_mark_is_not_a_cell() {
    let d = parse_csv("\u{feff}f0,f1,label\n1,2,0\n3,4,1\n", "bom.csv").unwrap();
    assert_eq!(
        d.y,
        vec![0, 1],
        "the header is recognised and no row is lost"
    );
    let d = parse_csv("\u{feff}1,2,0\n3,4,1\n", "bom2.csv").unwrap();
    assert_eq!(d.y.len(), 2, "a BOM before a data row keeps the row");
}

#[test]
fn values_beyond_float32_are_refused_with_row_and_column() {
    let e = parse_csv("1,2,0\n3,1e39,1\n", "big.csv")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("line 2") && e.contains("column 2") && e.contains("float32"),
        "{e}"
    );
    let e = parse_csv("1,inf,0\n3,4,1\n", "inf.csv")
        .unwrap_err()
        .to_string();
    assert!(e.contains("line 1") && e.contains("column 2"), "{e}");
}

#[test]
fn too_few_rows_for_a_test_split() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("two.csv");
    std::fs::write(&p, "1,2,0\n3,4,1\n").unwrap();
    let e = load_split(p.to_str().unwrap(), 0).unwrap_err().to_string();
    assert!(
        e.contains("0 for testing") && e.contains("at least 4"),
        "{e}"
    );
}
