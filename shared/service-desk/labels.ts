/**
 * The label every ticket carries (and the SLA check lists open tickets by). In a module of its
 * own so that a function needing only the label does not bundle the desk (desk.ts).
 */
export const SERVICE_DESK_LABEL = 'service-desk';
