//! The body of `upgrade()` or `downgrade()`, statement by statement: `op.*` calls with literal
//! arguments become operations; `with op.batch_alter_table(...)` blocks are read through;
//! assignments of literals, SQLAlchemy objects and the connection are remembered for later
//! statements; loops over literal lists are unrolled; SQL run through the connection is
//! `execute`; conditions on the database's dialect become each branch's operations for the
//! dialects it runs on; and every other statement (other conditions, helpers, Python data
//! migrations) becomes a placeholder naming why. Consecutive untranslatable statements share one.

use super::connection::{connection_call, sql_of};
use super::emit::{OpTable, Toml};
use super::operations::{batch_call, method_call, op_call, Translation};
use super::python::{
    ast, is_connection, method_receiver, one_line, string_constant, target_names, BatchTable, Call,
    Callee, Expr, Module, Scope, Stmt, Value,
};
use super::sqla::sqla_name;
use crate::dialect::Dialect;

/// How many iterations a loop may be unrolled into before it stays a placeholder: a literal
/// list that long is data, not a schema change.
const MAX_UNROLLED_ITERATIONS: usize = 1000;

/// One entry of a translated body.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Item {
    Op { line: usize, op: OpTable },
    Placeholder(Placeholder),
}

/// Python the importer cannot translate, by line.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Placeholder {
    pub(super) first_line: usize,
    pub(super) last_line: usize,
    /// Why, one clause per statement.
    pub(super) reasons: Vec<String>,
    /// The Python, as written.
    pub(super) code: String,
}

/// A translated function body.
#[derive(Debug, Default)]
pub(super) struct Body {
    pub(super) items: Vec<Item>,
    /// `with op.get_context().autocommit_block():` was used: the revision runs outside a
    /// transaction.
    pub(super) autocommit: bool,
    pub(super) notes: Vec<String>,
    /// The line of each `op.*` or batch call as written (an unrolled loop's once), for the
    /// report's conversion figure.
    pub(super) op_call_lines: Vec<usize>,
}

/// Translates the statements of one function.
pub(super) fn translate<'m>(module: &'m Module, scope: &mut Scope<'m>, stmts: &'m [Stmt]) -> Body {
    let mut walker = Walker {
        module,
        scope,
        body: Body::default(),
        returned: false,
        dialects: Dialect::ALL.to_vec(),
    };
    walker.block(stmts);
    let mut body = walker.body;
    body.op_call_lines = op_call_lines(module, scope, stmts);
    body
}

/// `op.*` and batch calls that change the database, by line, as written: helpers that make a
/// value (`op.f`, `op.get_bind`, `op.get_context`, `op.inline_literal`) and
/// `op.batch_alter_table` itself are not counted.
fn op_call_lines(module: &Module, scope: &Scope, stmts: &[Stmt]) -> Vec<usize> {
    use super::python::visitor::{self, Visitor};

    struct Calls<'s> {
        module: &'s Module,
        scope: &'s Scope<'s>,
        batch_names: Vec<String>,
        lines: Vec<usize>,
    }
    impl<'a> Visitor<'a> for Calls<'_> {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            if let Stmt::With(with) = stmt {
                for item in &with.items {
                    if let (Some(Expr::Name(name)), Expr::Call(call)) =
                        (item.optional_vars.as_deref(), &item.context_expr)
                    {
                        if is_op_method(self.module, self.scope, &call.func, "batch_alter_table") {
                            self.batch_names.push(name.id.to_string());
                        }
                    }
                }
            }
            visitor::walk_stmt(self, stmt);
        }

        fn visit_expr(&mut self, expr: &'a Expr) {
            if let Expr::Call(call) = expr {
                if let Expr::Attribute(attribute) = &*call.func {
                    let method = attribute.attr.as_str();
                    let on_op = is_op_method(self.module, self.scope, &call.func, method);
                    let on_batch = matches!(&*attribute.value, Expr::Name(name) if self.batch_names.iter().any(|b| b == name.id.as_str()));
                    let makes_a_value = matches!(
                        method,
                        "f" | "get_bind" | "get_context" | "inline_literal" | "batch_alter_table"
                    );
                    if (on_op || on_batch) && !makes_a_value {
                        self.lines.push(self.module.line(expr));
                    }
                }
            }
            visitor::walk_expr(self, expr);
        }
    }
    let mut calls = Calls {
        module,
        scope,
        batch_names: Vec::new(),
        lines: Vec::new(),
    };
    calls.visit_body(stmts);
    calls.lines
}

/// Whether `func` is `op.<method>` (under whatever name the script imports `op`).
fn is_op_method(module: &Module, scope: &Scope, func: &Expr, method: &str) -> bool {
    let Expr::Attribute(attribute) = func else {
        return false;
    };
    attribute.attr.as_str() == method
        && matches!(&*attribute.value, Expr::Name(_))
        && matches!(scope.eval(module, &attribute.value), Ok(Value::Ref(name)) if name == "alembic.op")
}

struct Walker<'a, 'm> {
    module: &'m Module,
    scope: &'a mut Scope<'m>,
    body: Body,
    /// A bare `return` was reached: what follows never runs.
    returned: bool,
    /// The dialects the statements now read run on: every one, or those the enclosing
    /// conditions on the dialect pick (never empty while statements are read).
    dialects: Vec<Dialect>,
}

impl<'m> Walker<'_, 'm> {
    fn block(&mut self, stmts: &'m [Stmt]) {
        for stmt in stmts {
            if self.returned {
                return;
            }
            self.stmt(stmt);
        }
    }

    fn stmt(&mut self, stmt: &'m Stmt) {
        match stmt {
            Stmt::Pass(_) => {}
            // A docstring, a bare string or `...`: nothing runs.
            Stmt::Expr(expr)
                if string_constant(&expr.value).is_some()
                    || matches!(&*expr.value, Expr::EllipsisLiteral(_)) => {}
            Stmt::Expr(expr) => match &*expr.value {
                Expr::Call(_) => self.call(stmt, &expr.value),
                _ => self.placeholder(stmt, "an expression statement".to_string()),
            },
            Stmt::Assign(assign) => match assign.targets.as_slice() {
                [Expr::Name(name)] => self.assign(stmt, name.id.as_str(), &assign.value),
                _ => self.placeholder(
                    stmt,
                    "an assignment to something other than one name".into(),
                ),
            },
            Stmt::AugAssign(assign) => match &*assign.target {
                Expr::Name(name) => {
                    match self.scope.eval_augmented(
                        self.module,
                        name.id.as_str(),
                        assign.op,
                        &assign.value,
                    ) {
                        Ok(value) if inert(&value) => {
                            self.scope.bind_value(name.id.as_str(), value)
                        }
                        Ok(value) => {
                            self.placeholder(stmt, format!("`{}` is {}", name.id, value.describe()))
                        }
                        Err(reason) => self.placeholder(stmt, reason),
                    }
                }
                _ => self.placeholder(
                    stmt,
                    "an assignment to something other than one name".into(),
                ),
            },
            Stmt::AnnAssign(assign) => match (&*assign.target, &assign.value) {
                (Expr::Name(name), Some(value)) => self.assign(stmt, name.id.as_str(), value),
                _ => self.placeholder(stmt, "an annotation".into()),
            },
            // `async with` falls through to a placeholder, as in a plain `def` it cannot run.
            Stmt::With(with) if !with.is_async => self.with(stmt, with),
            Stmt::Return(ret) if ret.value.is_none() => self.returned = true,
            Stmt::For(for_loop) if !for_loop.is_async => self.for_loop(stmt, for_loop),
            Stmt::If(condition) => self.condition(stmt, condition),
            Stmt::While(_) => self.placeholder(
                stmt,
                "a `while` loop, which runs Python rmig does not read".into(),
            ),
            other => {
                let kind = match other {
                    Stmt::For(_) | Stmt::While(_) => "a loop",
                    Stmt::Match(_) => "a condition",
                    Stmt::Try(_) => "a try block",
                    Stmt::FunctionDef(_) | Stmt::ClassDef(_) => "a definition",
                    Stmt::Import(_) | Stmt::ImportFrom(_) => "an import inside the function",
                    _ => "Python code",
                };
                self.placeholder(
                    stmt,
                    format!("{kind}, which runs Python rmig does not read"),
                )
            }
        }
    }

    /// An expression statement that is a call.
    fn call(&mut self, stmt: &'m Stmt, expr: &'m Expr) {
        let call = match self.scope.eval(self.module, expr) {
            Ok(Value::Call(call)) => call,
            Ok(other) => {
                return self.placeholder(stmt, format!("{} is not a call", other.describe()))
            }
            Err(reason) => return self.placeholder(stmt, reason),
        };
        match translate_call(&call) {
            Ok(translation) => self.push_ops(stmt, translation),
            Err(reason) => self.placeholder(stmt, reason),
        }
    }

    fn assign(&mut self, stmt: &'m Stmt, name: &str, value: &'m Expr) {
        match self.scope.eval(self.module, value) {
            Ok(Value::Call(call)) if call.name() == Some("alembic.op.create_table") => {
                match translate_call(&call) {
                    Ok(translation) => {
                        // `t = op.create_table(...)` gives a table for a later `op.bulk_insert(t, ...)`.
                        let table = Value::Call(Box::new(Call {
                            callee: Callee::Name("sqlalchemy.table".into()),
                            args: call.args.first().cloned().into_iter().collect(),
                            kwargs: call
                                .kwargs
                                .iter()
                                .filter(|(k, _)| k == "schema")
                                .cloned()
                                .collect(),
                        }));
                        self.push_ops(stmt, translation);
                        self.scope.bind_value(name, table);
                    }
                    Err(reason) => {
                        self.placeholder(stmt, reason);
                        self.scope.forget(name);
                    }
                }
            }
            // The connection itself: what the script then runs through it is read call by call.
            Ok(found) if inert(&found) || is_connection(&found) => {
                self.scope.bind_value(name, found)
            }
            found => {
                let statement = one_line(self.module.text(stmt));
                let reason = match found {
                    _ if uses_connection(self.module, self.scope, value) => {
                        data_access(&statement, value)
                    }
                    Ok(found) => format!("`{name} = {}` runs Python code", found.describe()),
                    Err(reason) => reason,
                };
                self.placeholder(stmt, reason);
                self.scope.forget(name);
            }
        }
    }

    /// `for target in <literal list>:` unrolled, each iteration's body translated with the
    /// target bound; the whole loop is one placeholder unless every iteration translates.
    fn for_loop(&mut self, stmt: &'m Stmt, for_loop: &'m ast::StmtFor) {
        if breaks_or_continues(&for_loop.body) {
            return self.placeholder(
                stmt,
                "a loop with `break` or `continue`, which runs Python rmig does not read".into(),
            );
        }
        let iterable = one_line(self.module.text(&*for_loop.iter));
        if uses_connection(self.module, self.scope, &for_loop.iter) {
            return self.placeholder(
                stmt,
                format!("a loop over `{iterable}`, which reads the database into Python through op.get_bind(): data access rmig cannot translate"),
            );
        }
        let items = match self.scope.eval(self.module, &for_loop.iter) {
            Ok(Value::Seq(items)) => items,
            Ok(other) => {
                return self.placeholder(
                    stmt,
                    format!(
                        "a loop over `{iterable}`, which is {}, not a list or tuple",
                        other.describe()
                    ),
                )
            }
            Err(reason) => {
                return self.placeholder(stmt, format!("a loop over `{iterable}`: {reason}"))
            }
        };
        if items.len() > MAX_UNROLLED_ITERATIONS {
            return self.placeholder(
                stmt,
                format!(
                    "a loop over {} items (rmig unrolls at most {MAX_UNROLLED_ITERATIONS})",
                    items.len()
                ),
            );
        }
        let before = self.scope.clone();
        let mut unrolled = Walker {
            module: self.module,
            scope: &mut *self.scope,
            body: Body::default(),
            returned: false,
            dialects: self.dialects.clone(),
        };
        let mut failure = None;
        for item in items {
            if let Err(reason) = bind_target(unrolled.scope, &for_loop.target, item) {
                failure = Some(reason);
                break;
            }
            unrolled.block(&for_loop.body);
            if unrolled.returned {
                break;
            }
        }
        let returned = unrolled.returned;
        let body = unrolled.body;
        let mut reasons: Vec<String> = Vec::new();
        for item in &body.items {
            if let Item::Placeholder(placeholder) = item {
                for reason in &placeholder.reasons {
                    if !reasons.contains(reason) {
                        reasons.push(reason.clone());
                    }
                }
            }
        }
        if let Some(reason) = failure {
            reasons.push(reason);
        }
        if !reasons.is_empty() {
            *self.scope = before;
            return self.placeholder(
                stmt,
                format!(
                    "a loop whose body rmig cannot translate ({})",
                    reasons.join("; ")
                ),
            );
        }
        self.body.items.extend(body.items);
        self.body.notes.extend(body.notes);
        self.body.autocommit |= body.autocommit;
        self.returned = returned;
        // Without `break`, a loop's `else` always runs after it.
        self.block(&for_loop.orelse);
    }

    /// `if`/`elif`/`else` on the database's dialect: each branch is read for the dialects it
    /// runs on (those its test picks of the ones no earlier test took, within the enclosing
    /// branch's), and what follows for those whose branch did not `return`. A test on anything
    /// else keeps the whole statement a placeholder naming it. Names a branch sets are
    /// unknown after the statement, since which branch ran is known only at run time.
    fn condition(&mut self, stmt: &'m Stmt, condition: &'m ast::StmtIf) {
        let clauses = condition
            .elif_else_clauses
            .iter()
            .map(|clause| (clause.test.as_ref(), &clause.body, self.module.line(clause)));
        let mut branches = Vec::with_capacity(1 + condition.elif_else_clauses.len());
        for (test, body, line) in std::iter::once((
            Some(&*condition.test),
            &condition.body,
            self.module.line(stmt),
        ))
        .chain(clauses)
        {
            let (tested, head) = match test {
                None => (Dialect::ALL.to_vec(), "else".to_string()),
                Some(test) => {
                    let text = one_line(self.module.text(test));
                    match dialects_where(self.module, self.scope, test) {
                        Some(tested) => (tested, text),
                        None => {
                            return self.placeholder(
                                stmt,
                                format!(
                                    "a condition on `{text}`, which runs Python rmig does not read"
                                ),
                            )
                        }
                    }
                }
            };
            branches.push((tested, head, body, line));
        }
        let before = self.scope.clone();
        let enclosing = std::mem::take(&mut self.dialects);
        let mut untested = enclosing.clone();
        let mut going_on = Vec::new();
        for (tested, head, body, line) in branches {
            let (runs, rest) = untested.iter().partition(|d| tested.contains(d));
            untested = rest;
            if runs.is_empty() {
                self.body.notes.push(format!(
                    "line {line}: the branch `{head}` is left out: it runs on no dialect rmig knows{}",
                    if enclosing.len() < Dialect::ALL.len() { " within the enclosing condition" } else { "" }
                ));
                continue;
            }
            self.dialects = runs;
            self.block(body);
            if !self.returned {
                going_on.append(&mut self.dialects);
            }
            self.returned = false;
            *self.scope = before.clone();
        }
        going_on.extend(untested);
        self.dialects = enclosing
            .into_iter()
            .filter(|d| going_on.contains(d))
            .collect();
        self.returned = self.dialects.is_empty();
        for name in assigned_names(stmt) {
            self.scope.forget(&name);
        }
        for name in mutated_names(stmt) {
            self.scope.forget_mutated(name);
        }
    }

    fn with(&mut self, stmt: &'m Stmt, with: &'m ast::StmtWith) {
        let [item] = with.items.as_slice() else {
            return self.placeholder(stmt, "a `with` of several contexts".into());
        };
        if is_autocommit_block(self.module, self.scope, &item.context_expr) {
            self.body.autocommit = true;
            self.body.notes.push(
                "`op.get_context().autocommit_block()`: the whole revision runs outside a transaction (transactional = false)".into(),
            );
            return self.block(&with.body);
        }
        let batch = match self.scope.eval(self.module, &item.context_expr) {
            Ok(Value::Call(call)) if call.name() == Some("alembic.op.batch_alter_table") => {
                batch_table(&call)
            }
            Ok(_) => Err("a `with` block other than op.batch_alter_table".to_string()),
            Err(reason) => Err(reason),
        };
        let batch = match batch {
            Ok((batch, notes)) => {
                self.body.notes.extend(notes);
                batch
            }
            Err(reason) => return self.placeholder(stmt, reason),
        };
        match item.optional_vars.as_deref() {
            Some(Expr::Name(name)) => self.scope.bind_value(name.id.as_str(), Value::Batch(batch)),
            None => {}
            Some(_) => {
                return self.placeholder(stmt, "`as` binds something other than one name".into())
            }
        }
        self.block(&with.body);
    }

    fn push_ops(&mut self, stmt: &'m Stmt, translation: Translation) {
        // Each operation must read back as one of rmig's, or the statement is a placeholder.
        if let Some(problem) = translation
            .ops
            .iter()
            .find_map(|op| op.to_operation().err().map(|e| (op.op.clone(), e)))
        {
            return self.placeholder(
                stmt,
                format!(
                    "rmig's {} does not accept the translation: {}",
                    problem.0, problem.1
                ),
            );
        }
        let line = self.module.line(stmt);
        let mut ops = translation.ops;
        if self.dialects.len() < Dialect::ALL.len() {
            let names: Vec<String> = self.dialects.iter().map(Dialect::to_string).collect();
            let key = match names.as_slice() {
                [one] => Toml::str(one),
                _ => Toml::strings(&names),
            };
            for op in &mut ops {
                op.set("dialect", key.clone());
            }
        }
        self.body.notes.extend(
            translation
                .notes
                .into_iter()
                .map(|note| format!("line {line}: {note}")),
        );
        self.body
            .items
            .extend(ops.into_iter().map(|op| Item::Op { line, op }));
    }

    fn placeholder(&mut self, stmt: &'m Stmt, reason: String) {
        for name in assigned_names(stmt) {
            self.scope.forget(&name);
        }
        if let Stmt::Expr(expr) = stmt {
            if let Some(name) = method_receiver(&expr.value) {
                self.scope.forget_mutated(name);
            }
        }
        let first_line = self.module.line(stmt);
        let last_line = self.module.last_line(stmt);
        let reason = format!("line {first_line}: {reason}");
        if let Some(Item::Placeholder(previous)) = self.body.items.last_mut() {
            previous.last_line = last_line;
            previous.code = self
                .module
                .lines(previous.first_line, last_line)
                .to_string();
            previous.reasons.push(reason);
            return;
        }
        self.body.items.push(Item::Placeholder(Placeholder {
            first_line,
            last_line,
            reasons: vec![reason],
            code: self.module.lines(first_line, last_line).to_string(),
        }));
    }
}

fn translate_call(call: &Call) -> Result<Translation, String> {
    match &call.callee {
        Callee::Name(name) if name == "alembic.op.execute" => {
            op_call("execute", &with_sql_inlined(call)?)
        }
        Callee::Method(receiver, method) if is_connection(receiver) => {
            connection_call(method, call)
        }
        Callee::Name(name) => match name.strip_prefix("alembic.op.") {
            Some(op) => op_call(op, call),
            None => Err(format!(
                "calls {}, which runs Python rmig does not read",
                Value::Call(Box::new(call.clone())).describe()
            )),
        },
        Callee::Batch(batch, method) => batch_call(batch, method, call),
        Callee::Method(receiver, method) => method_call(receiver, method, call),
    }
}

/// `op.execute(sa.text(...).bindparams(...))` with the parameters written into the SQL.
fn with_sql_inlined(call: &Call) -> Result<Call, String> {
    let mut call = call.clone();
    let statement = call.args.first_mut().or_else(|| {
        call.kwargs
            .iter_mut()
            .find(|(key, _)| key == "sqltext")
            .map(|(_, value)| value)
    });
    if let Some(statement) = statement {
        if matches!(statement, Value::Call(inner) if matches!(&inner.callee, Callee::Method(_, method) if method == "bindparams"))
        {
            *statement = Value::Str(sql_of(statement)?);
        }
    }
    Ok(call)
}

/// Whether `expr` uses the migration's connection anywhere (`op.get_bind()`, a name bound to
/// it, `Session(bind=...)`).
fn uses_connection(module: &Module, scope: &Scope, expr: &Expr) -> bool {
    if matches!(expr, Expr::Name(_) | Expr::Call(_) | Expr::Attribute(_))
        && scope
            .eval(module, expr)
            .is_ok_and(|value| is_connection(&value))
    {
        return true;
    }
    match expr {
        Expr::Call(call) => {
            uses_connection(module, scope, &call.func)
                || call
                    .arguments
                    .args
                    .iter()
                    .any(|arg| uses_connection(module, scope, arg))
                || call
                    .arguments
                    .keywords
                    .iter()
                    .any(|keyword| uses_connection(module, scope, &keyword.value))
        }
        Expr::Attribute(attribute) => uses_connection(module, scope, &attribute.value),
        Expr::Subscript(subscript) => uses_connection(module, scope, &subscript.value),
        _ => false,
    }
}

/// Why an assignment that uses the connection stays Python: it opens an ORM session, or it
/// reads rows back.
fn data_access(statement: &str, value: &Expr) -> String {
    let opens_session = matches!(value, Expr::Call(call) if {
        let callee = match &*call.func {
            Expr::Name(name) => name.id.as_str(),
            Expr::Attribute(attribute) => attribute.attr.as_str(),
            _ => "",
        };
        callee.contains("Session") || callee == "sessionmaker"
    });
    if opens_session {
        format!("`{statement}` opens an ORM session on the migration's connection: data access rmig cannot translate")
    } else {
        format!("`{statement}` reads the database into Python through op.get_bind(): data access rmig cannot translate")
    }
}

/// A value whose construction has no effect on the database: literals and SQLAlchemy objects.
fn inert(value: &Value) -> bool {
    match value {
        Value::None
        | Value::Bool(_)
        | Value::Int(_)
        | Value::Float(_)
        | Value::Str(_)
        | Value::Final(_) => true,
        Value::Seq(items) => items.iter().all(inert),
        Value::Dict(pairs) => pairs.iter().all(|(k, v)| inert(k) && inert(v)),
        Value::Ref(_) | Value::Dialect | Value::DialectName => true,
        Value::Call(call) => {
            sqla_name(value).is_some()
                && call.args.iter().all(inert)
                && call.kwargs.iter().all(|(_, v)| inert(v))
        }
        Value::Batch(_) | Value::BatchMethod(..) | Value::Method(..) => false,
    }
}

/// The dialects rmig knows for which `test` is true, when it compares the database's dialect
/// name with literal strings (`==`, `!=`, `in`, `not in`, and `and`, `or`, `not` of such
/// comparisons); `None` when it tests anything else. A name rmig does not run on (`mssql`)
/// picks no dialect; `mysql` and `mariadb` both pick MySQL.
fn dialects_where(module: &Module, scope: &Scope, test: &Expr) -> Option<Vec<Dialect>> {
    let complement = |picked: Vec<Dialect>| -> Vec<Dialect> {
        Dialect::ALL
            .into_iter()
            .filter(|d| !picked.contains(d))
            .collect()
    };
    match test {
        Expr::UnaryOp(unary) if matches!(unary.op, ast::UnaryOp::Not) => {
            dialects_where(module, scope, &unary.operand).map(complement)
        }
        Expr::BoolOp(boolean) => {
            let mut sets = boolean
                .values
                .iter()
                .map(|value| dialects_where(module, scope, value));
            let first = sets.next()??;
            sets.try_fold(first, |acc, set| {
                let set = set?;
                Some(match boolean.op {
                    ast::BoolOp::And => acc.into_iter().filter(|d| set.contains(d)).collect(),
                    ast::BoolOp::Or => Dialect::ALL
                        .into_iter()
                        .filter(|d| acc.contains(d) || set.contains(d))
                        .collect(),
                })
            })
        }
        Expr::Compare(compare) => {
            let ([op], [right]) = (&*compare.ops, &*compare.comparators) else {
                return None;
            };
            let (left, right) = (
                scope.eval(module, &compare.left).ok()?,
                scope.eval(module, right).ok()?,
            );
            let (names, negated) = match (op, left, right) {
                (ast::CmpOp::Eq | ast::CmpOp::NotEq, Value::DialectName, Value::Str(name))
                | (ast::CmpOp::Eq | ast::CmpOp::NotEq, Value::Str(name), Value::DialectName) => {
                    (vec![name], matches!(op, ast::CmpOp::NotEq))
                }
                (ast::CmpOp::In | ast::CmpOp::NotIn, Value::DialectName, Value::Seq(items)) => {
                    let names = items
                        .into_iter()
                        .map(|item| match item {
                            Value::Str(name) => Some(name),
                            _ => None,
                        })
                        .collect::<Option<Vec<String>>>()?;
                    (names, matches!(op, ast::CmpOp::NotIn))
                }
                _ => return None,
            };
            // SQLAlchemy names MariaDB `mariadb`; rmig runs MySQL and MariaDB as one dialect.
            let picked: Vec<Dialect> = Dialect::ALL
                .into_iter()
                .filter(|d| {
                    names.iter().any(|name| {
                        *name == d.to_string() || (name == "mariadb" && *d == Dialect::Mysql)
                    })
                })
                .collect();
            Some(if negated { complement(picked) } else { picked })
        }
        _ => None,
    }
}

/// Names whose list or dict a method call anywhere in `stmt` may change (`names.append(...)`).
fn mutated_names(stmt: &Stmt) -> Vec<&str> {
    use super::python::visitor::{self, Visitor};

    struct Receivers<'a>(Vec<&'a str>);
    impl<'a> Visitor<'a> for Receivers<'a> {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            if let Stmt::Expr(expr) = stmt {
                self.0.extend(method_receiver(&expr.value));
            }
            visitor::walk_stmt(self, stmt);
        }
    }
    let mut receivers = Receivers(Vec::new());
    receivers.visit_stmt(stmt);
    receivers.0
}

/// Binds a loop's target to one item: a name, or names unpacking a tuple of as many values.
fn bind_target(scope: &mut Scope, target: &Expr, item: Value) -> Result<(), String> {
    match (target, item) {
        (Expr::Name(name), item) => {
            scope.bind_value(name.id.as_str(), item);
            Ok(())
        }
        (
            Expr::Tuple(ast::ExprTuple { elts, .. }) | Expr::List(ast::ExprList { elts, .. }),
            Value::Seq(items),
        ) if elts.len() == items.len() => elts
            .iter()
            .zip(items)
            .try_for_each(|(target, item)| bind_target(scope, target, item)),
        (_, item) => Err(format!(
            "the loop cannot unpack {} into its target",
            item.describe()
        )),
    }
}

/// Whether `break` or `continue` of this loop appears in `stmts` (nested loops' own bodies
/// excepted).
fn breaks_or_continues(stmts: &[Stmt]) -> bool {
    stmts.iter().any(|stmt| match stmt {
        Stmt::Break(_) | Stmt::Continue(_) => true,
        Stmt::If(s) => {
            breaks_or_continues(&s.body)
                || s.elif_else_clauses
                    .iter()
                    .any(|clause| breaks_or_continues(&clause.body))
        }
        Stmt::With(s) => breaks_or_continues(&s.body),
        Stmt::Try(s) => {
            breaks_or_continues(&s.body)
                || breaks_or_continues(&s.orelse)
                || breaks_or_continues(&s.finalbody)
                || s.handlers.iter().any(|handler| {
                    let ast::ExceptHandler::ExceptHandler(handler) = handler;
                    breaks_or_continues(&handler.body)
                })
        }
        Stmt::For(s) => breaks_or_continues(&s.orelse),
        Stmt::While(s) => breaks_or_continues(&s.orelse),
        _ => false,
    })
}

/// `op.batch_alter_table(table_name, schema=None, recreate="auto", ...)`.
fn batch_table(call: &Call) -> Result<(BatchTable, Vec<String>), String> {
    let args = super::bind::Signature {
        name: "op.batch_alter_table",
        positional: &[
            "table_name",
            "schema",
            "recreate",
            "partial_reordering",
            "copy_from",
            "table_args",
            "table_kwargs",
            "reflect_args",
            "reflect_kwargs",
            "naming_convention",
        ],
        keyword: &[],
        varargs: false,
    }
    .bind(call)?;
    for option in ["partial_reordering", "copy_from", "naming_convention"] {
        args.refuse(option)?;
    }
    for option in [
        "table_args",
        "table_kwargs",
        "reflect_args",
        "reflect_kwargs",
    ] {
        match args.given(option) {
            None => {}
            Some(Value::Seq(items)) if items.is_empty() => {}
            Some(Value::Dict(pairs)) if pairs.is_empty() => {}
            Some(_) => {
                return Err(format!(
                    "op.batch_alter_table's `{option}` has no equivalent in rmig"
                ))
            }
        }
    }
    let mut notes = Vec::new();
    if let Some(recreate) = args.opt_str("recreate")? {
        if recreate == "always" {
            notes.push("op.batch_alter_table(recreate=\"always\") copies the table under Alembic; rmig alters it in place, to the same schema".into());
        }
    }
    Ok((
        BatchTable {
            table: args.req_str("table_name")?,
            schema: args.opt_str("schema")?,
        },
        notes,
    ))
}

/// `op.get_context().autocommit_block()`.
fn is_autocommit_block(module: &Module, scope: &Scope, expr: &Expr) -> bool {
    let Expr::Call(outer) = expr else {
        return false;
    };
    let Expr::Attribute(attribute) = &*outer.func else {
        return false;
    };
    if attribute.attr.as_str() != "autocommit_block" || !outer.arguments.args.is_empty() {
        return false;
    }
    matches!(
        scope.eval(module, &attribute.value),
        Ok(Value::Call(call)) if call.name() == Some("alembic.op.get_context")
    )
}

/// Names a statement assigns, anywhere inside it.
pub(super) fn assigned_names(stmt: &Stmt) -> Vec<String> {
    fn targets(expr: &Expr, out: &mut Vec<String>) {
        target_names(expr, out);
    }
    fn walk(stmt: &Stmt, out: &mut Vec<String>) {
        let block = |stmts: &[Stmt], out: &mut Vec<String>| stmts.iter().for_each(|s| walk(s, out));
        match stmt {
            Stmt::Assign(s) => s.targets.iter().for_each(|t| targets(t, out)),
            Stmt::AnnAssign(s) => targets(&s.target, out),
            Stmt::AugAssign(s) => targets(&s.target, out),
            Stmt::For(s) => {
                targets(&s.target, out);
                block(&s.body, out);
                block(&s.orelse, out);
            }
            Stmt::While(s) => {
                block(&s.body, out);
                block(&s.orelse, out);
            }
            Stmt::If(s) => {
                block(&s.body, out);
                for clause in &s.elif_else_clauses {
                    block(&clause.body, out);
                }
            }
            Stmt::With(s) => {
                for item in &s.items {
                    if let Some(vars) = &item.optional_vars {
                        targets(vars, out);
                    }
                }
                block(&s.body, out);
            }
            Stmt::Try(s) => {
                block(&s.body, out);
                block(&s.orelse, out);
                block(&s.finalbody, out);
            }
            Stmt::FunctionDef(s) => out.push(s.name.to_string()),
            Stmt::ClassDef(s) => out.push(s.name.to_string()),
            Stmt::Import(s) => out.extend(
                s.names
                    .iter()
                    .map(|a| a.asname.as_ref().unwrap_or(&a.name).to_string()),
            ),
            Stmt::ImportFrom(s) => out.extend(
                s.names
                    .iter()
                    .map(|a| a.asname.as_ref().unwrap_or(&a.name).to_string()),
            ),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(stmt, &mut out);
    out
}
