/** statfs(2) f_type of nsfs: a path with it is a bind-mounted (pinned) namespace, not a plain file. */
export const NSFS_MAGIC = 0x6e736673;
