//! Who may see and change what: roles, the level of region each role is scoped to, the actions
//! each role may take, and which personal fields each role sees unmasked.
//!
//! This is domain, not plumbing: domain.md §5.2 forbids publishing ID numbers, phones, bank
//! accounts and health conditions, and each level of the five-level system answers for its own
//! area only. The store applies the resulting scope inside its queries.

use crate::household::Codebook;
use crate::household::codebook;
use crate::region::{RegionCode, RegionLevel};

codebook!(
    /// The roles of Uplift's users.
    Role, "role" {
        VillageCadre = "village_cadre", "村干部";
        Helper = "helper", "帮扶联系人";
        TownshipReviewer = "township_reviewer", "乡镇审核员";
        CountyOfficer = "county_officer", "县级业务人员";
        CountyAdmin = "county_admin", "县级管理员";
        CityViewer = "city_viewer", "市级查看";
        ProvinceViewer = "province_viewer", "省级查看";
        DepartmentClerk = "department_clerk", "部门数据员";
        Auditor = "auditor", "审计评估";
    }
);

codebook!(
    /// The departments that send feeds (formats.md §3).
    Department, "department" {
        Medical = "medical", "医保";
        CivilAffairs = "civil_affairs", "民政";
        Disability = "disability", "残联";
        Education = "education", "教育";
        Employment = "employment", "人社";
        Housing = "housing", "住建";
        Water = "water", "水利";
        Disaster = "disaster", "应急";
        CivilRegistry = "civil_registry", "公安";
        Assets = "assets", "资产比对";
    }
);

/// What a user may try to do. Routes and commands name the action they need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Browse households and members in scope.
    ReadRegistry,
    /// Read the full version history of a household.
    ReadHistory,
    /// Record typed changes to households and members.
    EditRegistry,
    /// Import registry and income files; export lists.
    ImportRegistry,
    /// Upload a department feed (their own department only).
    UploadFeed,
    /// Read the matched/unmatched summary of feed uploads.
    ReadFeedSummary,
    /// Read the audit log.
    ReadAuditLog,
    /// Add, disable and reset users within the region.
    ManageUsers,
    /// Reveal a masked field for a stated reason (recorded).
    Unmask,
    /// Record a clue and open a case (domain.md §5.1).
    OpenCase,
    /// Household verification of a case, with the commitment and authorisation.
    VerifyCase,
    /// Information comparison with the departments (county bureau).
    CompareCase,
    /// Village appraisal, public notice and objections.
    AppraiseCase,
    /// Township: accept a declaration, review a case.
    ReviewCase,
    /// County approval of a case.
    ApproveCase,
    /// Result announcement and entry into the national system.
    AnnounceCase,
    /// Record measures and visits.
    RecordAssistance,
    /// Propose a household for risk elimination.
    ProposeElimination,
    /// Record village living-environment and infrastructure indicators (村情).
    EditVillageProfile,
    /// Open a concentrated screening campaign (集中排查) of a county.
    ManageCampaign,
    /// Draw the assessors' sample of villages and households and export its visit forms.
    DrawSample,
    // Rectification ledger and five-level responsibility (roles in `crate::rectify::role_may`).
    /// Read the rectification ledger, the responsibility tree, its tasks and bulletins.
    ReadRectification,
    /// Record and import problems, assign them.
    ManageRectification,
    /// Report progress with evidence, submit for sign-off, complete an assigned task.
    ReportRectification,
    /// Sign off (销号), reject a sign-off, reopen: the level above the responsible region.
    SignOffRectification,
    /// Name secretaries and work units, assign tasks down the tree.
    ManageResponsibility,
    /// Propose a project to the project library (村申报; townships for cross-village projects).
    ProposeProject,
    /// Township review of a village's project (乡审核).
    ReviewProject,
    /// County decision on a project (县审定).
    DecideProject,
    /// Fund plans, allocations, payments, acceptance, assets and their income (county).
    ManageFunds,
}

/// A personal field that domain.md §5.2 forbids publishing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SensitiveField {
    IdNumber,
    Phone,
    BankAccount,
    Health,
}

/// How a role sees a sensitive field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    Plain,
    /// Masked; `may_unmask` says whether the role can reveal it for a stated reason.
    Masked {
        may_unmask: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    #[error("a {role} must be scoped to a {expected} region, found a {found} code {code}")]
    WrongLevel {
        role: &'static str,
        expected: &'static str,
        found: &'static str,
        code: RegionCode,
    },
    #[error("a department clerk needs a department")]
    DepartmentMissing,
    #[error("only a department clerk has a department")]
    DepartmentNotAllowed,
}

impl Role {
    /// The region levels a user of this role may be scoped to.
    pub fn scope_levels(self) -> &'static [RegionLevel] {
        use RegionLevel::*;
        match self {
            Role::VillageCadre => &[Village],
            Role::TownshipReviewer => &[Township],
            Role::CountyOfficer | Role::CountyAdmin => &[County],
            Role::CityViewer => &[City],
            Role::ProvinceViewer => &[Province],
            // A helper's households may lie in several villages of one county.
            Role::Helper => &[County, Township, Village],
            Role::DepartmentClerk => &[County, City, Province],
            Role::Auditor => &[Province, City, County, Township, Village],
        }
    }

    /// Checks that a user of this role can be given this region and department.
    pub fn check_scope(
        self,
        region: &RegionCode,
        department: Option<Department>,
    ) -> Result<(), AccessError> {
        if !self.scope_levels().contains(&region.level()) {
            return Err(AccessError::WrongLevel {
                role: self.code(),
                expected: self.scope_levels()[0].as_str(),
                found: region.level().as_str(),
                code: *region,
            });
        }
        match (self, department) {
            (Role::DepartmentClerk, None) => Err(AccessError::DepartmentMissing),
            (Role::DepartmentClerk, Some(_)) | (_, None) => Ok(()),
            (_, Some(_)) => Err(AccessError::DepartmentNotAllowed),
        }
    }

    /// Whether this role may take `action` (inside its scope; the scope is checked apart).
    pub fn may(self, action: Action) -> bool {
        use Action::*;
        if let Some(allowed) = crate::rectify::role_may(self, action) {
            return allowed;
        }
        match self {
            Role::VillageCadre => matches!(
                action,
                ReadRegistry
                    | ReadHistory
                    | EditRegistry
                    | Unmask
                    | OpenCase
                    | VerifyCase
                    | AppraiseCase
                    | RecordAssistance
                    | ProposeElimination
                    | EditVillageProfile
                    | ProposeProject
            ),
            Role::Helper => matches!(action, ReadRegistry | ReadHistory | RecordAssistance),
            Role::TownshipReviewer => matches!(
                action,
                ReadRegistry
                    | ReadHistory
                    | EditRegistry
                    | Unmask
                    | OpenCase
                    | VerifyCase
                    | ReviewCase
                    | AnnounceCase
                    | RecordAssistance
                    | EditVillageProfile
                    | ProposeProject
                    | ReviewProject
            ),
            Role::CountyOfficer => matches!(
                action,
                ReadRegistry
                    | ReadHistory
                    | EditRegistry
                    | ImportRegistry
                    | ReadFeedSummary
                    | Unmask
                    | OpenCase
                    | CompareCase
                    | ApproveCase
                    | AnnounceCase
                    | RecordAssistance
                    | ProposeElimination
                    | EditVillageProfile
                    | ManageCampaign
                    | DrawSample
                    | ProposeProject
                    | DecideProject
                    | ManageFunds
            ),
            Role::CountyAdmin => true,
            Role::CityViewer | Role::ProvinceViewer => matches!(action, ReadRegistry),
            Role::DepartmentClerk => matches!(action, UploadFeed | ReadFeedSummary),
            Role::Auditor => matches!(
                action,
                ReadRegistry | ReadHistory | ReadAuditLog | Unmask | DrawSample
            ),
        }
    }

    /// How this role sees a sensitive field.
    ///
    /// County staff import, reconcile and approve, so they see ID numbers and phones. Village
    /// cadres call households, so they see phones. Health is the substance of the work below the
    /// city level. Viewers above the county read aggregates and see nothing personal.
    pub fn sees(self, field: SensitiveField) -> Visibility {
        use SensitiveField::*;
        let masked = Visibility::Masked {
            may_unmask: self.may(Action::Unmask),
        };
        match (self, field) {
            (Role::CountyOfficer | Role::CountyAdmin, IdNumber | Phone | Health) => {
                Visibility::Plain
            }
            (Role::VillageCadre | Role::Helper, Phone | Health) => Visibility::Plain,
            (Role::TownshipReviewer | Role::Auditor, Health) => Visibility::Plain,
            _ => masked,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    #[test]
    fn each_role_is_scoped_to_its_level() {
        assert!(
            Role::VillageCadre
                .check_scope(&code("431026100201"), None)
                .is_ok()
        );
        assert_eq!(
            Role::VillageCadre
                .check_scope(&code("431026"), None)
                .unwrap_err()
                .to_string(),
            "a village_cadre must be scoped to a village region, found a county code 431026000000"
        );
        assert!(
            Role::TownshipReviewer
                .check_scope(&code("431026100"), None)
                .is_ok()
        );
        assert!(Role::CityViewer.check_scope(&code("4310"), None).is_ok());
        assert_eq!(
            Role::DepartmentClerk.check_scope(&code("431026"), None),
            Err(AccessError::DepartmentMissing)
        );
        assert_eq!(
            Role::CountyOfficer.check_scope(&code("431026"), Some(Department::Medical)),
            Err(AccessError::DepartmentNotAllowed)
        );
    }

    #[test]
    fn auditors_and_viewers_change_nothing() {
        for role in [
            Role::Auditor,
            Role::CityViewer,
            Role::ProvinceViewer,
            Role::Helper,
        ] {
            assert!(!role.may(Action::EditRegistry), "{role:?}");
            assert!(!role.may(Action::ImportRegistry), "{role:?}");
            assert!(!role.may(Action::ManageUsers), "{role:?}");
        }
        assert!(Role::Auditor.may(Action::ReadAuditLog));
        assert!(!Role::DepartmentClerk.may(Action::ReadRegistry));
    }

    #[test]
    fn id_numbers_are_masked_below_and_above_the_county() {
        for role in Role::ALL {
            let v = role.sees(SensitiveField::IdNumber);
            let plain = matches!(role, Role::CountyOfficer | Role::CountyAdmin);
            assert_eq!(v == Visibility::Plain, plain, "{role:?}");
        }
        assert_eq!(
            Role::CityViewer.sees(SensitiveField::IdNumber),
            Visibility::Masked { may_unmask: false }
        );
        assert_eq!(
            Role::VillageCadre.sees(SensitiveField::IdNumber),
            Visibility::Masked { may_unmask: true }
        );
    }
}
