//! The JSONPath data-flow steps, in the order AWS applies them:
//! InputPath → Parameters → (the state's work) → ResultSelector → ResultPath → OutputPath.

pub(crate) mod assign;
pub(crate) mod input_path;
pub(crate) mod output_path;
pub(crate) mod parameters;
pub(crate) mod result_path;
pub(crate) mod result_selector;
