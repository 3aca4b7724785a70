//! The revision-id resolver and planner on arbitrary arguments: `get_revisions`,
//! `get_revision`, `plan::upgrade` and `plan::downgrade` over a small graph with branches,
//! a merge, branch labels and a `depends_on`, from current rows the input picks.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rmig::graph::RevisionMap;
use rmig::plan;
use rmig::revision::Revision;

fn map() -> RevisionMap {
    let revisions = vec![
        Revision::new("1975ea83b712", &[]),
        Revision::new("ae1027a6acf", &["1975ea83b712"]),
        Revision::new("27c6a30d7c24", &["1975ea83b712"]).with_branch_labels(&["other"]),
        Revision::new("53fffde5ad5", &["27c6a30d7c24", "ae1027a6acf"]),
        Revision::new("ae10aaaa0001", &["53fffde5ad5"]),
        Revision::new("b0000000base", &[]).with_branch_labels(&["lib"]),
        Revision::new("b0000001", &["b0000000base"]),
        Revision::new("c0ffee000001", &["53fffde5ad5"]).with_depends_on(&["lib"]),
    ];
    RevisionMap::new(revisions).expect("the fuzz graph is valid")
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let map = map();
    // First line: the argument; the other lines: the version rows (ids, or anything).
    let mut lines = text.split('\n');
    let target = lines.next().unwrap_or("");
    let current: Vec<String> = lines.take(4).map(str::to_string).collect();
    let _ = map.get_revisions(target);
    let _ = map.get_revision(target);
    let _ = rmig::graph::parse_relative(target);
    for rows in [&current[..], &[][..]] {
        for result in [
            plan::upgrade(&map, rows, target),
            plan::downgrade(&map, rows, target),
        ] {
            if let Err(error) = result {
                let message = error.to_string();
                assert!(!message.is_empty());
            }
        }
    }
});
