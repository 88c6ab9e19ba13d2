//! The pest parser generated from `grammar/release.pest`.

use pest::Parser;
use pest::iterators::Pairs;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/release.pest"]
pub(crate) struct ReleaseParser;

pub(crate) fn parse_file(text: &str) -> Result<Pairs<'_, Rule>, Box<pest::error::Error<Rule>>> {
    ReleaseParser::parse(Rule::file, text).map_err(Box::new)
}
