//! Python source read with a real parser (Astral's `ruff_python_parser`, which reads the
//! Python of today: PEP 701 f-strings, `type` statements and the rest), and the small
//! evaluator that turns the literal parts of it into values: constants, lists, tuples and
//! dicts, names bound to such values, and calls (`sa.Column(...)`, `op.add_column(...)`) kept
//! as data with their callee's fully qualified name. Nothing is ever executed; whatever is not
//! literal is an error that names it, and the caller turns that into a placeholder.
//!
//! This is the one module that knows the parser: the others walk the statements it re-exports
//! (`Stmt`, `Expr`, `ast`) and ask it for lines, text and values.

use std::collections::{HashMap, HashSet};

use ruff_python_ast::Number;
pub(super) use ruff_python_ast::{self as ast, visitor, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange};

/// How deep names may refer to names before the evaluator gives up (`a = b`, `b = a`).
const MAX_NAME_DEPTH: usize = 32;

/// A parsed Python file and what is needed to point into it. A file with syntax errors still
/// parses: `body` is what the parser recovered, and `syntax_error` says where it went wrong.
pub(super) struct Module {
    pub(super) body: ast::Suite,
    source: String,
    /// Byte offset at which each line starts.
    line_starts: Vec<usize>,
    /// Where the parser had to recover.
    damaged: Vec<TextRange>,
    syntax_error: Option<SyntaxError>,
}

/// The first syntax error of a file.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct SyntaxError {
    /// 1-based.
    pub(super) line: usize,
    /// The parser's message.
    pub(super) message: String,
}

impl Module {
    /// Parses `source` as far as it goes.
    pub(super) fn parse(source: &str) -> Module {
        let source = source
            .strip_prefix('\u{feff}')
            .unwrap_or(source)
            .to_string();
        let mut line_starts = vec![0];
        line_starts.extend(source.match_indices('\n').map(|(at, _)| at + 1));
        let parsed = ruff_python_parser::parse_unchecked_source(
            &source,
            ruff_python_ast::PySourceType::Python,
        );
        let damaged: Vec<TextRange> = parsed.errors().iter().map(|e| e.location).collect();
        let syntax_error = parsed
            .errors()
            .iter()
            .min_by_key(|e| e.location.start())
            .map(|error| SyntaxError {
                line: line_at(&line_starts, usize::from(error.location.start())).max(1),
                message: error.error.to_string(),
            });
        Module {
            body: parsed.into_suite(),
            source,
            line_starts,
            damaged,
            syntax_error,
        }
    }

    /// The first syntax error, if the file has any.
    pub(super) fn syntax_error(&self) -> Option<&SyntaxError> {
        self.syntax_error.as_ref()
    }

    /// Whether the parser had to recover inside `node`: what it holds is not what was written.
    fn is_damaged(&self, node: &impl Ranged) -> bool {
        let range = node.range();
        self.damaged
            .iter()
            .any(|error| error.start() <= range.end() && range.start() <= error.end())
    }

    /// The 1-based line a node starts on.
    pub(super) fn line(&self, node: &impl Ranged) -> usize {
        line_at(&self.line_starts, usize::from(node.range().start()))
    }

    /// The 1-based line a node ends on.
    pub(super) fn last_line(&self, node: &impl Ranged) -> usize {
        let range = node.range();
        let end = usize::from(range.end());
        line_at(
            &self.line_starts,
            end.saturating_sub(1).max(usize::from(range.start())),
        )
    }

    /// The source text of a node.
    pub(super) fn text(&self, node: &impl Ranged) -> &str {
        &self.source[node.range()]
    }

    /// The whole lines `first..=last`, as written.
    pub(super) fn lines(&self, first: usize, last: usize) -> &str {
        let start = self.line_starts[first - 1];
        let end = self
            .line_starts
            .get(last)
            .copied()
            .unwrap_or(self.source.len());
        self.source[start..end].trim_end_matches(['\n', '\r'])
    }

    /// The module docstring, if the first statement is one.
    pub(super) fn docstring(&self) -> Option<&str> {
        match self.body.first()? {
            Stmt::Expr(ast::StmtExpr { value, .. }) => string_constant(value),
            _ => None,
        }
    }

    /// The last module-level `def name()` (not `async def`, which Alembic would never await).
    pub(super) fn function(&self, name: &str) -> Option<&ast::StmtFunctionDef> {
        self.body.iter().rev().find_map(|stmt| match stmt {
            Stmt::FunctionDef(def) if !def.is_async && def.name.as_str() == name => Some(def),
            _ => None,
        })
    }

    /// The keyword arguments of every call of `callee` (a qualified name) made as a statement
    /// anywhere in the module's blocks (function bodies, `if`, `with`, `try`), in order, each
    /// evaluated on its own so that one computed argument does not hide the others.
    pub(super) fn keyword_arguments(
        &self,
        scope: &Scope,
        callee: &str,
    ) -> Vec<(&str, Result<Value, String>)> {
        let mut calls = Vec::new();
        collect_calls(&self.body, &mut calls);
        calls
            .into_iter()
            .filter_map(|expr| match expr {
                Expr::Call(call) => Some(call),
                _ => None,
            })
            .filter(|call| {
                matches!(scope.eval(self, &call.func), Ok(Value::Ref(name)) if name == callee)
            })
            .flat_map(|call| call.arguments.keywords.iter())
            .filter_map(|keyword| {
                let name = keyword.arg.as_ref()?.as_str();
                Some((name, scope.eval(self, &keyword.value)))
            })
            .collect()
    }
}

/// The 1-based line holding byte `offset`.
fn line_at(line_starts: &[usize], offset: usize) -> usize {
    line_starts.partition_point(|&start| start <= offset)
}

/// Every expression statement in a block, nested blocks included (not inside expressions).
pub(super) fn collect_calls<'m>(stmts: &'m [Stmt], out: &mut Vec<&'m Expr>) {
    for stmt in stmts {
        match stmt {
            Stmt::Expr(expr) => out.push(&expr.value),
            Stmt::FunctionDef(def) => collect_calls(&def.body, out),
            Stmt::If(s) => {
                collect_calls(&s.body, out);
                for clause in &s.elif_else_clauses {
                    collect_calls(&clause.body, out);
                }
            }
            Stmt::With(s) => collect_calls(&s.body, out),
            Stmt::Try(s) if !s.is_star => {
                collect_calls(&s.body, out);
                collect_calls(&s.orelse, out);
                collect_calls(&s.finalbody, out);
                for ast::ExceptHandler::ExceptHandler(handler) in &s.handlers {
                    collect_calls(&handler.body, out);
                }
            }
            _ => {}
        }
    }
}

/// The text of a string literal expression.
pub(super) fn string_constant(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::StringLiteral(literal) => Some(literal.value.to_str()),
        _ => None,
    }
}

/// A value the evaluator could read.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Value {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// `op.f("name")` (or `batch_op.f`): a name that is final, never run through the naming
    /// convention (SQLAlchemy's `conv`).
    Final(String),
    /// A list or a tuple.
    Seq(Vec<Value>),
    Dict(Vec<(Value, Value)>),
    /// A module attribute not called, by its qualified name: `sqlalchemy.Integer`.
    Ref(String),
    Call(Box<Call>),
    /// The `batch_op` of `with op.batch_alter_table(...) as batch_op`.
    Batch(BatchTable),
    /// A method of a `batch_op`, before it is called.
    BatchMethod(BatchTable, String),
    /// A method of a value built by a call, before it is called: `sa.Enum(...).create`.
    Method(Box<Value>, String),
    /// The database's dialect or engine (`op.get_bind().dialect`, `op.get_context().dialect`,
    /// `bind.engine`), known only when the migration runs.
    Dialect,
    /// Its name (`.dialect.name`, `.engine.name`): what a condition on the dialect compares.
    DialectName,
}

/// The table a batch block alters.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct BatchTable {
    pub(super) table: String,
    pub(super) schema: Option<String>,
}

/// A call kept as data.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Call {
    pub(super) callee: Callee,
    pub(super) args: Vec<Value>,
    pub(super) kwargs: Vec<(String, Value)>,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Callee {
    /// A qualified name: `alembic.op.add_column`, `sqlalchemy.Column`.
    Name(String),
    /// `batch_op.<method>` inside a batch block.
    Batch(BatchTable, String),
    /// A method called on a value: `mood.create(op.get_bind())`.
    Method(Box<Value>, String),
}

impl Call {
    /// The qualified name called, for a plain call.
    pub(super) fn name(&self) -> Option<&str> {
        match &self.callee {
            Callee::Name(name) => Some(name),
            Callee::Batch(..) | Callee::Method(..) => None,
        }
    }

    /// The keyword argument `name`, if given.
    pub(super) fn kwarg(&self, name: &str) -> Option<&Value> {
        self.kwargs.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
}

impl Value {
    /// A short Python-like spelling, for messages.
    pub(super) fn describe(&self) -> String {
        match self {
            Value::None => "None".into(),
            Value::Bool(b) => if *b { "True" } else { "False" }.into(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Str(s) => format!("{s:?}"),
            Value::Final(s) => format!("op.f({s:?})"),
            Value::Seq(items) => format!(
                "[{}]",
                items
                    .iter()
                    .map(Value::describe)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Value::Dict(_) => "{...}".into(),
            Value::Ref(name) => short_name(name).to_string(),
            Value::Call(call) => match &call.callee {
                Callee::Name(name) => format!("{}(...)", short_name(name)),
                Callee::Batch(_, method) => format!("batch_op.{method}(...)"),
                Callee::Method(receiver, method) => {
                    format!("{}.{method}(...)", receiver.describe())
                }
            },
            Value::Batch(_) => "batch_op".into(),
            Value::BatchMethod(_, method) => format!("batch_op.{method}"),
            Value::Method(receiver, method) => format!("{}.{method}", receiver.describe()),
            Value::Dialect => "the database's dialect".into(),
            Value::DialectName => "the database's dialect name".into(),
        }
    }

    /// The qualified name of a called or referenced module attribute.
    pub(super) fn qualified_name(&self) -> Option<&str> {
        match self {
            Value::Ref(name) => Some(name),
            Value::Call(call) => call.name(),
            _ => None,
        }
    }
}

/// `op.get_bind()`: the connection Alembic migrates through.
pub(super) fn connection() -> Value {
    Value::Call(Box::new(Call {
        callee: Callee::Name("alembic.op.get_bind".into()),
        args: Vec::new(),
        kwargs: Vec::new(),
    }))
}

/// Whether `value` is the migration's connection (`op.get_bind()`, `op.get_context().bind`).
pub(super) fn is_connection(value: &Value) -> bool {
    matches!(value, Value::Call(call) if call.name() == Some("alembic.op.get_bind") && call.args.is_empty() && call.kwargs.is_empty())
}

/// `sqlalchemy.dialects.postgresql.JSONB` -> `postgresql.JSONB`, the way scripts spell it.
pub(super) fn short_name(name: &str) -> &str {
    let mut dots = name.rmatch_indices('.');
    match (dots.next(), dots.next()) {
        (Some(_), Some((at, _))) => &name[at + 1..],
        _ => name,
    }
}

/// Names in force where an expression is evaluated: imports, module-level assignments, and
/// the assignments a function body made so far.
#[derive(Clone)]
pub(super) struct Scope<'m> {
    imports: HashMap<String, String>,
    module: HashMap<String, &'m Expr>,
    locals: HashMap<String, Value>,
    /// Names assigned by code the importer could not read: never resolved, even to a
    /// module-level value of the same name.
    unknown: HashSet<String>,
    /// Module-level names that something besides one plain assignment changes (a loop, a
    /// condition, `+=`, `.append(...)`, `global`): their value when a function runs is not
    /// knowable, so they are never resolved rather than resolved to a stale value.
    changed: HashSet<String>,
    /// Functions the module defines: named as such when called.
    functions: HashSet<String>,
}

impl<'m> Scope<'m> {
    /// The module-level imports and simple assignments of `module`, but for statements the
    /// parser had to recover inside: their values are not what the author wrote.
    pub(super) fn of_module(module: &'m Module) -> Scope<'m> {
        let mut scope = Scope {
            imports: HashMap::new(),
            module: HashMap::new(),
            locals: HashMap::new(),
            unknown: HashSet::new(),
            changed: HashSet::new(),
            functions: HashSet::new(),
        };
        for stmt in &module.body {
            changed_names(stmt, &mut scope.changed);
        }
        for stmt in module.body.iter().filter(|stmt| !module.is_damaged(*stmt)) {
            match stmt {
                Stmt::Import(import) => {
                    for alias in &import.names {
                        let name = alias.name.as_str();
                        match &alias.asname {
                            Some(asname) => {
                                scope.imports.insert(asname.to_string(), name.to_string());
                            }
                            // `import a.b` binds `a`.
                            None => {
                                let root = name.split('.').next().unwrap_or(name);
                                scope.imports.insert(root.to_string(), root.to_string());
                            }
                        }
                    }
                }
                Stmt::ImportFrom(import) => {
                    let Some(from) = &import.module else { continue };
                    for alias in &import.names {
                        let name = alias.name.as_str();
                        let bound = alias.asname.as_ref().map_or(name, |a| a.as_str());
                        scope
                            .imports
                            .insert(bound.to_string(), format!("{from}.{name}"));
                    }
                }
                Stmt::Assign(assign) => {
                    for target in &assign.targets {
                        if let Expr::Name(name) = target {
                            scope.module.insert(name.id.to_string(), &assign.value);
                        }
                    }
                }
                Stmt::AnnAssign(assign) => {
                    if let (Expr::Name(name), Some(value)) = (&*assign.target, &assign.value) {
                        scope.module.insert(name.id.to_string(), value);
                    }
                }
                Stmt::FunctionDef(def) => {
                    scope.functions.insert(def.name.to_string());
                }
                _ => {}
            }
        }
        scope
    }

    /// The module-level expression assigned to `name`, if any.
    pub(super) fn module_value(&self, name: &str) -> Option<&'m Expr> {
        self.module.get(name).copied()
    }

    /// Starts a function body: the module's names only.
    pub(super) fn clear_locals(&mut self) {
        self.locals.clear();
        self.unknown.clear();
    }

    /// A function-level assignment, evaluated where it stands.
    pub(super) fn bind_value(&mut self, name: &str, value: Value) {
        self.unknown.remove(name);
        self.locals.insert(name.to_string(), value);
    }

    /// `name` was assigned by code that is not translated: it no longer means anything known.
    pub(super) fn forget(&mut self, name: &str) {
        self.locals.remove(name);
        self.unknown.insert(name.to_string());
    }

    /// A method was called on `name` by code that is not translated (`cols.append(x)`): a
    /// list or dict it held may have changed. Other values (a batch table, the connection,
    /// a SQLAlchemy object, an import) are not changed by their methods in a way the
    /// importer reads.
    pub(super) fn forget_mutated(&mut self, name: &str) {
        let mutable = match self.locals.get(name) {
            Some(value) => matches!(value, Value::Seq(_) | Value::Dict(_)),
            None => matches!(
                self.module.get(name),
                Some(Expr::List(_) | Expr::Dict(_) | Expr::Set(_))
            ),
        };
        if mutable {
            self.forget(name);
        }
    }

    /// `target op= value`, from the target's value where it stands.
    pub(super) fn eval_augmented(
        &self,
        module: &Module,
        target: &str,
        op: ast::Operator,
        value: &Expr,
    ) -> Result<Value, String> {
        let current = self.eval_name(module, target, 0)?;
        let operand = self.eval(module, value)?;
        binary(op, current, operand).ok_or_else(|| {
            format!(
                "`{target} {}= {}` is not arithmetic rmig can follow",
                op.as_str(),
                one_line(module.text(value))
            )
        })
    }

    /// Evaluates `expr`; the error says what is not literal.
    pub(super) fn eval(&self, module: &Module, expr: &Expr) -> Result<Value, String> {
        self.eval_at(module, expr, 0)
    }

    fn eval_at(&self, module: &Module, expr: &Expr, depth: usize) -> Result<Value, String> {
        if depth > MAX_NAME_DEPTH {
            return Err(format!("`{}` refers to itself", module.text(expr)));
        }
        let not_literal = || {
            format!(
                "`{}` is not a literal value rmig can read",
                one_line(module.text(expr))
            )
        };
        match expr {
            Expr::NoneLiteral(_) => Ok(Value::None),
            Expr::BooleanLiteral(boolean) => Ok(Value::Bool(boolean.value)),
            Expr::StringLiteral(literal) => Ok(Value::Str(literal.value.to_str().to_string())),
            Expr::NumberLiteral(number) => match &number.value {
                Number::Int(int) => int.as_i64().map(Value::Int).ok_or_else(not_literal),
                Number::Float(float) => Ok(Value::Float(*float)),
                Number::Complex { .. } => Err(not_literal()),
            },
            Expr::List(list) => self.eval_all(module, &list.elts, depth).map(Value::Seq),
            Expr::Tuple(tuple) => self.eval_all(module, &tuple.elts, depth).map(Value::Seq),
            Expr::Dict(dict) => {
                let mut pairs = Vec::with_capacity(dict.items.len());
                for item in &dict.items {
                    let key = item.key.as_ref().ok_or_else(not_literal)?;
                    pairs.push((
                        self.eval_at(module, key, depth)?,
                        self.eval_at(module, &item.value, depth)?,
                    ));
                }
                Ok(Value::Dict(pairs))
            }
            Expr::UnaryOp(unary) if matches!(unary.op, ast::UnaryOp::USub) => {
                match self.eval_at(module, &unary.operand, depth)? {
                    Value::Int(i) => Ok(Value::Int(-i)),
                    Value::Float(f) => Ok(Value::Float(-f)),
                    _ => Err(not_literal()),
                }
            }
            Expr::BinOp(binop) => binary(
                binop.op,
                self.eval_at(module, &binop.left, depth)?,
                self.eval_at(module, &binop.right, depth)?,
            )
            .ok_or_else(not_literal),
            Expr::Subscript(subscript) => subscript_of(
                self.eval_at(module, &subscript.value, depth)?,
                self.eval_at(module, &subscript.slice, depth)?,
            )
            .ok_or_else(not_literal),
            Expr::Name(name) => self.eval_name(module, name.id.as_str(), depth),
            Expr::Attribute(attribute) => match self.eval_at(module, &attribute.value, depth)? {
                Value::Ref(base) => Ok(Value::Ref(format!("{base}.{}", attribute.attr))),
                Value::Batch(batch) => Ok(Value::BatchMethod(batch, attribute.attr.to_string())),
                // The dialect, from the connection, its engine or the migration context.
                source @ Value::Call(_)
                    if matches!(attribute.attr.as_str(), "dialect" | "engine")
                        && (is_connection(&source)
                            || matches!(
                                source.qualified_name(),
                                Some("alembic.op.get_context" | "alembic.context.get_context")
                            )) =>
                {
                    Ok(Value::Dialect)
                }
                Value::Dialect => match attribute.attr.as_str() {
                    "dialect" => Ok(Value::Dialect),
                    "name" => Ok(Value::DialectName),
                    _ => Err(not_literal()),
                },
                // The migration context's connection is the one `op.get_bind()` returns.
                Value::Call(call)
                    if matches!(
                        call.name(),
                        Some("alembic.op.get_context" | "alembic.context.get_context")
                    ) && matches!(attribute.attr.as_str(), "bind" | "connection") =>
                {
                    Ok(connection())
                }
                // A method of the connection (`execute`), for the caller to read or refuse.
                bind @ Value::Call(_) if is_connection(&bind) => {
                    Ok(Value::Method(Box::new(bind), attribute.attr.to_string()))
                }
                // A method of a SQLAlchemy object (an enum type's `create`), kept for the
                // caller to read or refuse; other objects' attributes are Python's.
                called @ Value::Call(_)
                    if called
                        .qualified_name()
                        .is_some_and(|name| name.starts_with("sqlalchemy.")) =>
                {
                    Ok(Value::Method(Box::new(called), attribute.attr.to_string()))
                }
                _ => Err(not_literal()),
            },
            Expr::Call(call) => {
                if let Expr::Attribute(attribute) = &*call.func {
                    if let Some(value) = self.literal_method(module, attribute, call, depth)? {
                        return Ok(value);
                    }
                }
                let callee = match self.eval_at(module, &call.func, depth)? {
                    Value::Ref(name) => Callee::Name(name),
                    Value::BatchMethod(batch, method) => Callee::Batch(batch, method),
                    Value::Method(receiver, method) => Callee::Method(receiver, method),
                    _ => return Err(not_literal()),
                };
                let args = self.eval_all(module, &call.arguments.args, depth)?;
                let mut kwargs = Vec::with_capacity(call.arguments.keywords.len());
                for keyword in &call.arguments.keywords {
                    let name = keyword.arg.as_ref().ok_or_else(|| {
                        format!("`{}` passes `**` arguments", one_line(module.text(expr)))
                    })?;
                    kwargs.push((
                        name.to_string(),
                        self.eval_at(module, &keyword.value, depth)?,
                    ));
                }
                // `op.f("name")` (or `batch_op.f`) marks a name as final.
                let marks_final = match &callee {
                    Callee::Name(name) => name == "alembic.op.f",
                    Callee::Batch(_, method) => method == "f",
                    Callee::Method(..) => false,
                };
                if marks_final {
                    if let [Value::Str(name) | Value::Final(name)] = args.as_slice() {
                        return Ok(Value::Final(name.clone()));
                    }
                }
                Ok(Value::Call(Box::new(Call {
                    callee,
                    args,
                    kwargs,
                })))
            }
            Expr::Starred(_) => Err(format!(
                "`{}` unpacks a sequence at run time",
                one_line(module.text(expr))
            )),
            Expr::FString(fstring) => self.eval_fstring(module, fstring, depth),
            _ => Err(not_literal()),
        }
    }

    fn eval_all(
        &self,
        module: &Module,
        exprs: &[Expr],
        depth: usize,
    ) -> Result<Vec<Value>, String> {
        let mut values = Vec::with_capacity(exprs.len());
        for expr in exprs {
            match expr {
                // `*NAME` of a sequence the script spells out: its items, in place.
                Expr::Starred(starred) => match self.eval_at(module, &starred.value, depth)? {
                    Value::Seq(items) => values.extend(items),
                    other => {
                        return Err(format!(
                            "`{}` unpacks {}, not a list or tuple",
                            one_line(module.text(expr)),
                            other.describe()
                        ))
                    }
                },
                _ => values.push(self.eval_at(module, expr, depth)?),
            }
        }
        Ok(values)
    }

    fn eval_name(&self, module: &Module, name: &str, depth: usize) -> Result<Value, String> {
        if self.unknown.contains(name) {
            return Err(format!("`{name}` is set by code rmig cannot translate"));
        }
        if let Some(value) = self.locals.get(name) {
            return Ok(value.clone());
        }
        if self.changed.contains(name) && !self.imports.contains_key(name) {
            return Err(format!(
                "`{name}` is changed by code rmig cannot follow at module level"
            ));
        }
        if let Some(expr) = self.module.get(name) {
            return self.eval_at(module, expr, depth + 1);
        }
        if let Some(qualified) = self.imports.get(name) {
            return Ok(Value::Ref(qualified.clone()));
        }
        if self.functions.contains(name) {
            return Err(format!(
                "`{name}` is a function of the script, whose Python rmig does not read"
            ));
        }
        Err(format!("`{name}` is not defined in the script"))
    }

    /// A method of a literal value, computed as Python would: `"...".format(...)`,
    /// `", ".join([...])`, `"...".upper()`, a dict's `items()`, `keys()` and `values()`.
    /// `None` when the receiver is not a literal (a module, a SQLAlchemy object).
    fn literal_method(
        &self,
        module: &Module,
        attribute: &ast::ExprAttribute,
        call: &ast::ExprCall,
        depth: usize,
    ) -> Result<Option<Value>, String> {
        let receiver = self.eval_at(module, &attribute.value, depth)?;
        if !matches!(receiver, Value::Str(_) | Value::Dict(_)) {
            return Ok(None);
        }
        let text = one_line(module.text(call));
        let cannot = || format!("`{text}` is not a string or dict method rmig can compute");
        let args = self.eval_all(module, &call.arguments.args, depth)?;
        let mut kwargs = Vec::with_capacity(call.arguments.keywords.len());
        for keyword in &call.arguments.keywords {
            let name = keyword.arg.as_ref().ok_or_else(cannot)?;
            kwargs.push((
                name.to_string(),
                self.eval_at(module, &keyword.value, depth)?,
            ));
        }
        let method = attribute.attr.as_str();
        let value = match (receiver, method, args.as_slice()) {
            (Value::Str(template), "format", _) => {
                Value::Str(str_format(&template, &args, &kwargs).ok_or_else(cannot)?)
            }
            (Value::Str(separator), "join", [Value::Seq(items)]) if kwargs.is_empty() => {
                let parts: Option<Vec<&str>> = items
                    .iter()
                    .map(|item| match item {
                        Value::Str(part) => Some(part.as_str()),
                        _ => None,
                    })
                    .collect();
                Value::Str(parts.ok_or_else(cannot)?.join(&separator))
            }
            (Value::Str(text), "upper", []) if kwargs.is_empty() => Value::Str(text.to_uppercase()),
            (Value::Str(text), "lower", []) if kwargs.is_empty() => Value::Str(text.to_lowercase()),
            (Value::Dict(pairs), "items", []) if kwargs.is_empty() => Value::Seq(
                pairs
                    .into_iter()
                    .map(|(key, value)| Value::Seq(vec![key, value]))
                    .collect(),
            ),
            (Value::Dict(pairs), "keys", []) if kwargs.is_empty() => {
                Value::Seq(pairs.into_iter().map(|(key, _)| key).collect())
            }
            (Value::Dict(pairs), "values", []) if kwargs.is_empty() => {
                Value::Seq(pairs.into_iter().map(|(_, value)| value).collect())
            }
            _ => return Err(cannot()),
        };
        Ok(Some(value))
    }

    /// An f-string whose every part is known, rendered as Python's `str()` would.
    fn eval_fstring(
        &self,
        module: &Module,
        fstring: &ast::ExprFString,
        depth: usize,
    ) -> Result<Value, String> {
        let mut text = String::new();
        for part in fstring.value.iter() {
            match part {
                ast::FStringPart::Literal(literal) => text.push_str(&literal.value),
                ast::FStringPart::FString(inner) => {
                    for element in inner.elements.iter() {
                        match element {
                            ast::InterpolatedStringElement::Literal(literal) => {
                                text.push_str(&literal.value)
                            }
                            ast::InterpolatedStringElement::Interpolation(field) => {
                                let plain = field.debug_text.is_none()
                                    && field.format_spec.is_none()
                                    && matches!(
                                        field.conversion,
                                        ast::ConversionFlag::None | ast::ConversionFlag::Str
                                    );
                                let value = self.eval_at(module, &field.expression, depth)?;
                                let rendered = plain.then(|| python_str(&value)).flatten();
                                text.push_str(&rendered.ok_or_else(|| {
                                    format!(
                                        "`{}` in an f-string is not text rmig can render as Python does",
                                        one_line(module.text(field))
                                    )
                                })?);
                            }
                        }
                    }
                }
            }
        }
        Ok(Value::Str(text))
    }
}

/// Module-level names a statement changes other than by one plain `NAME = value`.
fn changed_names(stmt: &Stmt, out: &mut HashSet<String>) {
    match stmt {
        Stmt::Assign(assign) => {
            for target in &assign.targets {
                if !matches!(target, Expr::Name(_)) {
                    target_names(target, out);
                }
            }
        }
        Stmt::AugAssign(assign) => target_names(&assign.target, out),
        Stmt::Expr(expr) => {
            out.extend(method_receiver(&expr.value).map(str::to_string));
        }
        // A function changes a module name only through `global`.
        Stmt::FunctionDef(def) => global_names(&def.body, out),
        Stmt::ClassDef(_) | Stmt::Import(_) | Stmt::ImportFrom(_) | Stmt::AnnAssign(_) => {}
        // Anything bound inside a block (a loop, a condition, a try) depends on how it ran.
        other => {
            for name in super::statements::assigned_names(other) {
                out.insert(name);
            }
            global_names(std::slice::from_ref(other), out);
        }
    }
}

/// The names of `global` statements anywhere in `stmts`.
fn global_names(stmts: &[Stmt], out: &mut HashSet<String>) {
    let mut nested = Vec::new();
    for stmt in stmts {
        match stmt {
            Stmt::Global(global) => out.extend(global.names.iter().map(|n| n.to_string())),
            Stmt::FunctionDef(def) => nested.push(&def.body),
            Stmt::If(s) => {
                global_names(&s.body, out);
                s.elif_else_clauses
                    .iter()
                    .for_each(|c| global_names(&c.body, out));
            }
            Stmt::For(s) => global_names(&s.body, out),
            Stmt::While(s) => global_names(&s.body, out),
            Stmt::With(s) => global_names(&s.body, out),
            Stmt::Try(s) => {
                global_names(&s.body, out);
                global_names(&s.finalbody, out);
            }
            _ => {}
        }
    }
    for body in nested {
        global_names(body, out);
    }
}

/// The names an assignment target binds.
pub(super) fn target_names(expr: &Expr, out: &mut impl Extend<String>) {
    match expr {
        Expr::Name(name) => out.extend([name.id.to_string()]),
        Expr::Tuple(tuple) => tuple.elts.iter().for_each(|e| target_names(e, out)),
        Expr::List(list) => list.elts.iter().for_each(|e| target_names(e, out)),
        Expr::Starred(starred) => target_names(&starred.value, out),
        // `NAME[key] = ...` and `NAME.attr = ...` change NAME's value.
        Expr::Subscript(subscript) => target_names(&subscript.value, out),
        Expr::Attribute(attribute) => target_names(&attribute.value, out),
        _ => {}
    }
}

/// `NAME` in a statement `NAME.method(...)`, which may change the value NAME holds.
pub(super) fn method_receiver(expr: &Expr) -> Option<&str> {
    let Expr::Call(call) = expr else { return None };
    let Expr::Attribute(attribute) = &*call.func else {
        return None;
    };
    match &*attribute.value {
        Expr::Name(name) => Some(name.id.as_str()),
        _ => None,
    }
}

/// Python's `left <op> right` on literal values, where it is plain arithmetic or text.
fn binary(op: ast::Operator, left: Value, right: Value) -> Option<Value> {
    use ast::Operator::{Add, Mod, Mult, Sub};
    match (op, left, right) {
        (Add, Value::Str(a), Value::Str(b)) => Some(Value::Str(a + &b)),
        (Add, Value::Seq(mut a), Value::Seq(b)) => {
            a.extend(b);
            Some(Value::Seq(a))
        }
        (Mod, Value::Str(template), args) => percent_format(&template, &args).map(Value::Str),
        (Add, Value::Int(a), Value::Int(b)) => a.checked_add(b).map(Value::Int),
        (Sub, Value::Int(a), Value::Int(b)) => a.checked_sub(b).map(Value::Int),
        (Mult, Value::Int(a), Value::Int(b)) => a.checked_mul(b).map(Value::Int),
        (Mod, Value::Int(a), Value::Int(b)) if b > 0 => Some(Value::Int(a.rem_euclid(b))),
        _ => None,
    }
}

/// `container[key]` for a literal list, tuple or dict and a literal key.
fn subscript_of(container: Value, key: Value) -> Option<Value> {
    match (container, key) {
        (Value::Seq(items), Value::Int(index)) => {
            let len = i64::try_from(items.len()).ok()?;
            let at = if index < 0 { len + index } else { index };
            usize::try_from(at)
                .ok()
                .and_then(|at| items.get(at).cloned())
        }
        (Value::Dict(pairs), key) => pairs.into_iter().find(|(k, _)| *k == key).map(|(_, v)| v),
        _ => None,
    }
}

/// Python's `str(value)` for the values whose text is certain.
fn python_str(value: &Value) -> Option<String> {
    match value {
        Value::Str(text) | Value::Final(text) => Some(text.clone()),
        Value::Int(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(if *flag { "True" } else { "False" }.to_string()),
        Value::None => Some("None".to_string()),
        // Python writes whole floats with `.0` and switches to exponents outside this range.
        Value::Float(number)
            if number.is_finite()
                && (number.abs() >= 1e-4 || *number == 0.0)
                && number.abs() < 1e16 =>
        {
            Some(if number.fract() == 0.0 {
                format!("{number:.1}")
            } else {
                number.to_string()
            })
        }
        _ => None,
    }
}

/// `template % args` with `%s`, `%d`, `%i`, `%(name)s` and `%%`, as Python formats them.
fn percent_format(template: &str, args: &Value) -> Option<String> {
    let positional: Vec<&Value> = match args {
        Value::Seq(items) => items.iter().collect(),
        Value::Dict(_) => Vec::new(),
        single => vec![single],
    };
    let mut next = positional.into_iter();
    let mut out = String::new();
    let mut chars = template.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = chars.next()?;
        let value = if spec == '(' {
            let key: String = chars.by_ref().take_while(|c| *c != ')').collect();
            spec = chars.next()?;
            let Value::Dict(pairs) = args else {
                return None;
            };
            pairs
                .iter()
                .find(|(k, _)| *k == Value::Str(key.clone()))
                .map(|(_, v)| v)?
        } else if spec == '%' {
            out.push('%');
            continue;
        } else {
            next.next()?
        };
        match (spec, value) {
            ('s', value) => out.push_str(&python_str(value)?),
            ('d' | 'i', Value::Int(number)) => out.push_str(&number.to_string()),
            _ => return None,
        }
    }
    // Python refuses arguments left over.
    match (args, next.next()) {
        (Value::Dict(_), _) | (_, None) => Some(out),
        _ => None,
    }
}

/// `template.format(*args, **kwargs)` with `{}`, `{0}`, `{name}`, `{{` and `}}`, no format
/// specs or conversions.
fn str_format(template: &str, args: &[Value], kwargs: &[(String, Value)]) -> Option<String> {
    let mut out = String::new();
    let mut automatic = 0;
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let field: String = chars.by_ref().take_while(|c| *c != '}').collect();
                let value = if field.is_empty() {
                    automatic += 1;
                    args.get(automatic - 1)?
                } else if let Ok(index) = field.parse::<usize>() {
                    args.get(index)?
                } else if field.chars().all(|c| c.is_alphanumeric() || c == '_') {
                    kwargs.iter().find(|(k, _)| *k == field).map(|(_, v)| v)?
                } else {
                    return None;
                };
                out.push_str(&python_str(value)?);
            }
            '}' => return None,
            other => out.push(other),
        }
    }
    Some(out)
}

/// The first line of a snippet, shortened, for one-line messages.
pub(super) fn one_line(text: &str) -> String {
    const LIMIT: usize = 80;
    let first = text.lines().next().unwrap_or("").trim();
    let more = text.trim().lines().count() > 1;
    if first.chars().count() > LIMIT {
        format!("{}...", first.chars().take(LIMIT).collect::<String>())
    } else if more {
        format!("{first} ...")
    } else {
        first.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(source: &str, expr: &str) -> Result<Value, String> {
        let text = format!("{source}\n__x = {expr}\n");
        let module = Module::parse(&text);
        let scope = Scope::of_module(&module);
        let value = scope.module_value("__x").unwrap();
        scope.eval(&module, value)
    }

    #[test]
    fn literals_and_concatenation() {
        assert_eq!(eval("", "'a' 'b' + \"c\""), Ok(Value::Str("abc".into())));
        assert_eq!(
            eval("", "(1, -2.5, None, True, [])"),
            Ok(Value::Seq(vec![
                Value::Int(1),
                Value::Float(-2.5),
                Value::None,
                Value::Bool(true),
                Value::Seq(vec![])
            ]))
        );
    }

    #[test]
    fn imports_qualify_names() {
        let value = eval(
            "import sqlalchemy as sa\nfrom sqlalchemy.dialects import postgresql",
            "sa.Column('id', postgresql.UUID(as_uuid=True))",
        )
        .unwrap();
        let Value::Call(call) = value else {
            panic!("{value:?}")
        };
        assert_eq!(call.name(), Some("sqlalchemy.Column"));
        let Value::Call(inner) = &call.args[1] else {
            panic!()
        };
        assert_eq!(inner.name(), Some("sqlalchemy.dialects.postgresql.UUID"));
        assert_eq!(inner.kwarg("as_uuid"), Some(&Value::Bool(true)));
    }

    #[test]
    fn op_f_is_its_name_and_names_resolve() {
        assert_eq!(
            eval("from alembic import op\nNAME = 'ix_a'", "op.f(NAME)"),
            Ok(Value::Final("ix_a".into()))
        );
    }

    #[test]
    fn what_is_not_literal_is_named() {
        assert_eq!(eval("x = 1", "f'{x}'"), Ok(Value::Str("1".into())));
        let err = eval("x = 1", "f'{x:>4}'").unwrap_err();
        assert!(err.contains("in an f-string"), "{err}");
        let err = eval("", "undefined_name").unwrap_err();
        assert!(err.contains("`undefined_name` is not defined"), "{err}");
        let err = eval("a = b\nb = a", "a").unwrap_err();
        assert!(err.contains("refers to itself"), "{err}");
        let err = eval("", "[x for x in y]").unwrap_err();
        assert!(err.contains("not a literal"), "{err}");
    }

    #[test]
    fn lines_are_one_based() {
        let module = Module::parse("\"\"\"doc\n\nmore\"\"\"\nx = 1\n");
        assert_eq!(module.docstring(), Some("doc\n\nmore"));
        assert_eq!(module.line(&module.body[1]), 4);
        assert_eq!(module.last_line(&module.body[0]), 3);
        assert_eq!(module.lines(4, 4), "x = 1");
    }

    #[test]
    fn syntax_errors_carry_their_line() {
        let module = Module::parse("x = 1\ndef f(:\n");
        let SyntaxError { line, message } = module.syntax_error().unwrap();
        assert_eq!(*line, 2, "{message}");
    }
}
