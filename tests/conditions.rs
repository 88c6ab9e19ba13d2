//! What conditions mean once emitted: each case compiles a small pipeline and
//! reads the condition Azure will evaluate, or the diagnostic and fix relc gives.

use relc::backend::azure;

/// The emitted YAML of `text`, which must compile without errors.
fn yaml(text: &str) -> String {
    let c = relc::compile("conditions.release", text);
    let errors: Vec<&str> = c
        .diagnostics
        .iter()
        .filter(|d| d.severity == relc::diagnostic::Severity::Error)
        .map(|d| d.message.as_str())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    azure::emit(
        c.pipeline.as_ref().expect("a pipeline"),
        "conditions.release",
    )
    .expect("emit")
}

fn stage_when(condition: &str) -> String {
    yaml(&format!(
        "stage A {{ when {condition}\n job J {{ script \"x\" }} }}"
    ))
}

#[test]
fn version_literals_keep_every_digit() {
    for (written, emitted) in [
        ("2.200.0", "2.200.0"),
        ("1.10.0", "1.10.0"),
        ("1.2.3.4", "1.2.3.4"),
        ("01.002.3", "01.002.3"),
    ] {
        let y = stage_when(&format!("{written} <= Agent.Version"));
        assert!(
            y.contains(&format!("le({emitted}, variables['Agent.Version'])")),
            "{written}: {y}"
        );
    }
}

#[test]
fn a_number_keeps_its_value() {
    let y = yaml("var n = \"2\"\nstage A { when 1.10 < variables['n']\n job J { script \"x\" } }");
    assert!(y.contains("lt(1.1, variables['n'])"), "{y}");
}

#[test]
fn pipeline_start_time_is_the_expression_context_not_a_variable() {
    let y = stage_when("pipeline.startTime != ''");
    assert!(y.contains("ne(pipeline.startTime, '')"), "{y}");
    // A predefined variable of the `Pipeline` namespace stays a variable.
    let y = stage_when("Pipeline.Workspace != ''");
    assert!(y.contains("ne(variables['Pipeline.Workspace'], '')"), "{y}");
}

/// The codes of `text`'s diagnostics (but W001, unused declarations), with the
/// replacement of each one's first fix.
fn findings(text: &str) -> Vec<(String, Option<String>)> {
    relc::compile("conditions.release", text)
        .diagnostics
        .iter()
        .filter(|d| d.code.as_str() != "W001")
        .map(|d| {
            let fix = d
                .fixes
                .first()
                .and_then(|f| f.edits.first())
                .map(|e| e.replacement.clone());
            (d.code.as_str().to_string(), fix)
        })
        .collect()
}

#[test]
fn numbers_and_versions_ordered_as_text_are_flagged_with_the_operands_swapped() {
    let var = "var n = \"9\"\n";
    let cases = [
        ("n > 10", "10 < n"),
        ("gt(variables['n'], 10)", "lt(10, variables['n'])"),
        ("Agent.Version >= 2.200.0", "2.200.0 <= Agent.Version"),
        ("(n) <= 3", "3 >= n"),
        ("GE(n, 1.5)", "le(1.5, n)"),
    ];
    for (condition, swapped) in cases {
        let text = format!("{var}stage A {{ when {condition}\n job J {{ script \"x\" }} }}");
        assert_eq!(
            findings(&text),
            [("W008".to_string(), Some(swapped.to_string()))],
            "{condition}"
        );
        // The swapped form is what Azure orders as a number or version: no warning.
        let fixed = format!("{var}stage A {{ when {swapped}\n job J {{ script \"x\" }} }}");
        assert_eq!(findings(&fixed), [], "{swapped}");
    }
    // Equality and text on the right are not orderings of numbers.
    for condition in ["n == 10", "n > '10'", "10 < n"] {
        let text = format!("{var}stage A {{ when {condition}\n job J {{ script \"x\" }} }}");
        assert_eq!(findings(&text), [], "{condition}");
    }
}

#[test]
fn stage_dependencies_in_a_stage_condition_is_refused_with_the_fix() {
    let text = "stage B { job J { script \"x\" } }\n\
                stage A after B { when stageDependencies.B.outputs['J.s.v'] == 'y'\n job J { script \"x\" } }";
    assert_eq!(
        findings(text),
        [("E046".to_string(), Some("dependencies".to_string()))]
    );
    // In a job condition it is what Azure provides.
    let text = "stage B { job J { script \"x\" } }\n\
                stage A after B { job J { when stageDependencies.B.J.outputs['s.v'] == 'y'\n script \"x\" } }";
    assert_eq!(findings(text), []);
}

#[test]
fn constants_of_mixed_kinds_are_folded_as_azure_converts_them() {
    for (condition, always) in [
        ("eq('1.0', 1)", "false"),
        ("eq(1, '1.0')", "true"),
        ("eq('True', true)", "true"),
        ("gt('9', 10)", "true"),
        ("lt(9, '10')", "true"),
        ("eq(1, 'x')", "false"),
        ("ne(1, 'x')", "true"),
        ("eq(0, '')", "true"),
    ] {
        let text = format!("stage A {{ job J {{ when {condition}\n script \"x\" }} }}");
        let c = relc::compile("conditions.release", &text);
        let messages: Vec<&str> = c.diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert!(
            messages.len() == 1 && messages[0].contains(&format!("always {always}")),
            "{condition}: {messages:?}"
        );
    }
}

#[test]
fn a_literal_has_no_properties() {
    let text = "stage A { when 1.5.x == '1'\n job J { script \"x\" } }";
    let codes: Vec<String> = findings(text).into_iter().map(|f| f.0).collect();
    assert!(codes.contains(&"E017".to_string()), "{codes:?}");
}

#[test]
fn always_and_a_condition_without_status_is_written_as_azure_writes_it() {
    // A condition without a status function is Azure's `always()` and it: relc
    // writes `when always() && X` as `X`, and keeps `always()` where another
    // status function is read or nothing else is there.
    let y = stage_when("always() && branch == \"main\"");
    assert!(
        y.contains("condition: \"eq(variables['Build.SourceBranchName'], 'main')\""),
        "{y}"
    );
    assert!(stage_when("always()").contains("condition: always()"));
    let y = stage_when("always() && failed()");
    assert!(y.contains("and(always(), failed())"), "{y}");
    let y = stage_when("branch == \"main\"");
    assert!(y.contains("and(succeeded(), eq("), "{y}");
}
