import type { OrganizationMember } from '../api';

/** One choice of role: the API value and its label. */
export interface RoleOption {
  value: string;
  label: string;
}

/** The roles a roster hands out, and the one that carries management rights (shown in blue). */
export interface Roles {
  options: RoleOption[];
  lead: string;
}

/** A member of an organization or team: the person and their role there (TeamDetail lists members in this shape). */
export type MemberRow = OrganizationMember['user'] & Pick<OrganizationMember, 'role'>;
