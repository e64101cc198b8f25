import type { BigIntStats } from 'node:fs';

/**
 * A file's stat stamp, what git's index keeps of a file: its size, its
 * modification and change times in nanoseconds and its inode number. A file
 * whose stamp is the one recorded is taken as unchanged without reading it,
 * unless the record is no older than the file (see src/emit/unchanged.ts).
 */
export const stampOf = (st: BigIntStats): string => `${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.ino}`;

/** The modification time (ns) a stamp holds. */
export const stampMtime = (stamp: string): bigint => BigInt(stamp.split(':')[1]!);
