/** Data loading: datasets, splits, transforms and the batch loader. */
export * from "./byte_image_dataset.ts";
export * from "./cifar10.ts";
export * from "./concurrency_limiter.ts";
export * from "./data_spec.ts";
export * from "./dataset.ts";
export * from "./decode_meter.ts";
export * from "./fashion_mnist.ts";
export * from "./fashion_mnist_subset.ts";
export * from "./idx.ts";
export * from "./image_folder.ts";
export * from "./loader.ts";
export * from "./normalization.ts";
export * from "./seeds.ts";
export * from "./small_image_augmentation.ts";
export * from "./split.ts";
export * from "./transforms.ts";
