// Stand-in for `k6/data`.
export class SharedArray {
  constructor(name, build) {
    return build();
  }
}
