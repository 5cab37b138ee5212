//! The selection instance: categories with per-value quotas, and the pool of people.

use crate::error::{Result, SortitionError};
use std::collections::{HashMap, HashSet};

/// One value of a category (e.g. `gender = female`) with its quota on the panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureValue {
    pub name: String,
    /// At least this many panel members have this value.
    pub min: u32,
    /// At most this many panel members have this value.
    pub max: u32,
    /// Sortition Foundation format only: how far `min` may be relaxed (lowest
    /// acceptable minimum) when suggesting a relaxation of infeasible quotas.
    pub min_flex: Option<u32>,
    /// Sortition Foundation format only: highest acceptable maximum.
    pub max_flex: Option<u32>,
}

/// A category (e.g. `gender`) and its values; every person has exactly one value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    pub name: String,
    pub values: Vec<FeatureValue>,
}

impl Category {
    pub fn value_index(&self, value: &str) -> Option<usize> {
        self.values.iter().position(|v| v.name == value)
    }
}

/// A person in the pool: an id, one value index per category (in the order of
/// [`Instance::categories`]) and an optional household/address key. At most one
/// person per household can be on a panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub id: String,
    pub features: Vec<usize>,
    pub household: Option<String>,
}

/// Quotas, pool and panel size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    pub categories: Vec<Category>,
    pub people: Vec<Person>,
    pub panel_size: usize,
}

impl Instance {
    /// Checks consistency: unique category and value names, `min <= max`, every
    /// person has one valid value per category, unique ids, `panel_size > 0`.
    pub fn new(categories: Vec<Category>, people: Vec<Person>, panel_size: usize) -> Result<Self> {
        if panel_size == 0 {
            return Err(SortitionError::Invalid(
                "panel size must be at least 1".into(),
            ));
        }
        if categories.is_empty() {
            return Err(SortitionError::Invalid("no categories".into()));
        }
        let mut names = HashSet::new();
        for c in &categories {
            if !names.insert(c.name.as_str()) {
                return Err(SortitionError::Invalid(format!(
                    "category '{}' appears twice",
                    c.name
                )));
            }
            if c.values.is_empty() {
                return Err(SortitionError::Invalid(format!(
                    "category '{}' has no values",
                    c.name
                )));
            }
            let mut vals = HashSet::new();
            for v in &c.values {
                if !vals.insert(v.name.as_str()) {
                    return Err(SortitionError::Invalid(format!(
                        "value '{}' of category '{}' appears twice",
                        v.name, c.name
                    )));
                }
                if v.min > v.max {
                    return Err(SortitionError::Invalid(format!(
                        "{}={}: min {} is above max {}",
                        c.name, v.name, v.min, v.max
                    )));
                }
            }
        }
        let mut ids = HashSet::new();
        for p in &people {
            if !ids.insert(p.id.as_str()) {
                return Err(SortitionError::Invalid(format!(
                    "person id '{}' appears twice",
                    p.id
                )));
            }
            if p.features.len() != categories.len()
                || p.features
                    .iter()
                    .zip(&categories)
                    .any(|(&f, c)| f >= c.values.len())
            {
                return Err(SortitionError::Invalid(format!(
                    "person '{}' does not have exactly one valid value per category",
                    p.id
                )));
            }
        }
        Ok(Instance {
            categories,
            people,
            panel_size,
        })
    }

    /// Index of a person by id.
    pub fn person_index(&self, id: &str) -> Option<usize> {
        self.people.iter().position(|p| p.id == id)
    }

    /// Whether any household has more than one member (then the household
    /// constraint matters).
    pub fn has_shared_households(&self) -> bool {
        let mut seen = HashSet::new();
        self.people
            .iter()
            .filter_map(|p| p.household.as_deref())
            .any(|h| !seen.insert(h))
    }

    /// `category=value` label of a person's feature in category `c`.
    pub fn value_name(&self, person: usize, c: usize) -> &str {
        &self.categories[c].values[self.people[person].features[c]].name
    }

    /// Checks that `panel` (person indices) has `panel_size` distinct people, meets
    /// every quota and has at most one person per household. Returns the first
    /// violation as text.
    pub fn check_panel(&self, panel: &[usize]) -> std::result::Result<(), String> {
        if panel.len() != self.panel_size {
            return Err(format!(
                "panel has {} people, not {}",
                panel.len(),
                self.panel_size
            ));
        }
        let mut seen = HashSet::new();
        let mut households = HashSet::new();
        for &i in panel {
            if i >= self.people.len() || !seen.insert(i) {
                return Err(format!("person index {i} is invalid or repeated"));
            }
            if let Some(h) = &self.people[i].household
                && !households.insert(h.as_str())
            {
                return Err(format!("two people of household '{h}'"));
            }
        }
        for (c, cat) in self.categories.iter().enumerate() {
            for (v, val) in cat.values.iter().enumerate() {
                let n = panel
                    .iter()
                    .filter(|&&i| self.people[i].features[c] == v)
                    .count() as u32;
                if n < val.min || n > val.max {
                    return Err(format!(
                        "{}={}: {} on the panel, quota {}..{}",
                        cat.name, val.name, n, val.min, val.max
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Builds an [`Instance`] in memory, by names.
///
/// ```
/// use sortition::InstanceBuilder;
/// let mut b = InstanceBuilder::new();
/// b.quota("gender", "female", 1, 1).unwrap();
/// b.quota("gender", "male", 1, 1).unwrap();
/// b.person("a", &[("gender", "female")], None).unwrap();
/// b.person("b", &[("gender", "male")], Some("house-1")).unwrap();
/// let instance = b.build(2).unwrap();
/// assert_eq!(instance.people.len(), 2);
/// ```
#[derive(Debug, Default, Clone)]
pub struct InstanceBuilder {
    categories: Vec<Category>,
    people: Vec<Person>,
    ids: HashMap<String, usize>,
}

impl InstanceBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a value with quota `min..=max` to a category (created on first use).
    /// All quotas must be added before the first person.
    pub fn quota(&mut self, category: &str, value: &str, min: u32, max: u32) -> Result<&mut Self> {
        self.quota_flex(category, value, min, max, None, None)
    }

    /// Like [`InstanceBuilder::quota`] with the Sortition Foundation's flex bounds.
    pub fn quota_flex(
        &mut self,
        category: &str,
        value: &str,
        min: u32,
        max: u32,
        min_flex: Option<u32>,
        max_flex: Option<u32>,
    ) -> Result<&mut Self> {
        if !self.people.is_empty() {
            return Err(SortitionError::Invalid(
                "add all quotas before the first person".into(),
            ));
        }
        if min > max {
            return Err(SortitionError::Invalid(format!(
                "{category}={value}: min {min} is above max {max}"
            )));
        }
        let c = match self.categories.iter().position(|c| c.name == category) {
            Some(c) => c,
            None => {
                self.categories.push(Category {
                    name: category.to_string(),
                    values: Vec::new(),
                });
                self.categories.len() - 1
            }
        };
        if self.categories[c].value_index(value).is_some() {
            return Err(SortitionError::Invalid(format!(
                "{category}={value} has two quotas"
            )));
        }
        self.categories[c].values.push(FeatureValue {
            name: value.to_string(),
            min,
            max,
            min_flex,
            max_flex,
        });
        Ok(self)
    }

    /// Adds a person with one `(category, value)` pair per category.
    pub fn person<C: AsRef<str>, V: AsRef<str>>(
        &mut self,
        id: &str,
        features: &[(C, V)],
        household: Option<&str>,
    ) -> Result<&mut Self> {
        let mut values = vec![usize::MAX; self.categories.len()];
        for (c, v) in features {
            let (c, v) = (c.as_ref(), v.as_ref());
            let ci = self
                .categories
                .iter()
                .position(|x| x.name == c)
                .ok_or_else(|| {
                    SortitionError::Invalid(format!("person '{id}': unknown category '{c}'"))
                })?;
            let vi = self.categories[ci].value_index(v).ok_or_else(|| {
                SortitionError::Invalid(format!(
                    "person '{id}': '{v}' is not a value of category '{c}'"
                ))
            })?;
            if values[ci] != usize::MAX {
                return Err(SortitionError::Invalid(format!(
                    "person '{id}': two values for category '{c}'"
                )));
            }
            values[ci] = vi;
        }
        if let Some(ci) = values.iter().position(|&v| v == usize::MAX) {
            return Err(SortitionError::Invalid(format!(
                "person '{id}': no value for category '{}'",
                self.categories[ci].name
            )));
        }
        if self.ids.insert(id.to_string(), self.people.len()).is_some() {
            return Err(SortitionError::Invalid(format!(
                "person id '{id}' appears twice"
            )));
        }
        self.people.push(Person {
            id: id.to_string(),
            features: values,
            household: household.map(str::to_string),
        });
        Ok(self)
    }

    /// Finishes the instance for a panel of `panel_size` people.
    pub fn build(&self, panel_size: usize) -> Result<Instance> {
        Instance::new(self.categories.clone(), self.people.clone(), panel_size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> InstanceBuilder {
        let mut b = InstanceBuilder::new();
        b.quota("g", "f", 1, 2).unwrap();
        b.quota("g", "m", 1, 2).unwrap();
        b.person("a", &[("g", "f")], Some("h1")).unwrap();
        b.person("b", &[("g", "m")], Some("h1")).unwrap();
        b.person("c", &[("g", "m")], None).unwrap();
        b
    }

    #[test]
    fn builder_rejects_bad_input() {
        let mut b = small();
        assert!(b.person("a", &[("g", "f")], None).is_err());
        assert!(b.person("d", &[("g", "x")], None).is_err());
        assert!(b.person("d", &[("h", "f")], None).is_err());
        assert!(b.person::<&str, &str>("d", &[], None).is_err());
        assert!(b.quota("g", "x", 0, 1).is_err());
        let mut b2 = InstanceBuilder::new();
        assert!(b2.quota("g", "f", 3, 2).is_err());
        b2.quota("g", "f", 1, 2).unwrap();
        assert!(b2.quota("g", "f", 1, 2).is_err());
        assert!(small().build(0).is_err());
    }

    #[test]
    fn check_panel_finds_violations() {
        let inst = small().build(2).unwrap();
        assert!(inst.has_shared_households());
        assert_eq!(inst.check_panel(&[0, 2]), Ok(()));
        assert!(inst.check_panel(&[0, 1]).unwrap_err().contains("household"));
        assert!(inst.check_panel(&[1, 2]).unwrap_err().contains("g=f"));
        assert!(inst.check_panel(&[0]).is_err());
        assert!(inst.check_panel(&[0, 0]).is_err());
    }
}
