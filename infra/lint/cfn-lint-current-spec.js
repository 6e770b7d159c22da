#!/usr/bin/env node
// Runs the pinned cfn-lint (npm cfn-lint@1.9.7, node_modules/) exactly as
// `cfn-lint validate FILE [options]`, after adding to its resource specification the properties
// the template uses that AWS introduced after that specification was frozen (version 2.29.0).
// Nothing else changes: every other rule, and every finding, is cfn-lint's own.
//
// Added (each as AWS documents it in the AWS::S3::Bucket reference; only when missing, so a
// newer specification wins):
//   AWS::S3::Bucket.OwnershipControls: { Rules: list of OwnershipControlsRule, required }
//   AWS::S3::Bucket.OwnershipControlsRule: { ObjectOwnership: string }
// Plain `cfn-lint validate` reports exactly one finding on the storage template,
// "OwnershipControls is not a valid property of AWS::S3::Bucket"; tests/storage_template_test.cpp
// checks that this stays the only difference.
"use strict";
const path = require("path");

const root = path.join(__dirname, "..", "..", "node_modules", "cfn-lint");
const awsData = require(path.join(root, "lib", "awsData"));
const spec = awsData.awsResources;
const doc = "http://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/";

function addPropertyType(name, properties) {
  if (!spec.PropertyTypes[name]) spec.PropertyTypes[name] = { Documentation: doc, Properties: properties };
}
function addProperty(resource, name, property) {
  const props = spec.ResourceTypes[resource].Properties;
  if (!props[name]) props[name] = property;
}

addPropertyType("AWS::S3::Bucket.OwnershipControlsRule", {
  ObjectOwnership: { Documentation: doc, PrimitiveType: "String", Required: false, UpdateType: "Mutable" },
});
addPropertyType("AWS::S3::Bucket.OwnershipControls", {
  Rules: {
    Documentation: doc, DuplicatesAllowed: false, ItemType: "OwnershipControlsRule",
    Required: true, Type: "List", UpdateType: "Mutable",
  },
});
addProperty("AWS::S3::Bucket", "OwnershipControls", {
  Documentation: doc, Required: false, Type: "OwnershipControls", UpdateType: "Mutable",
});

// cfn-lint's command line, as if it had been started directly.
process.argv = [process.argv[0], path.join(root, "lib", "index.js"), ...process.argv.slice(2)];
require(path.join(root, "lib", "index.js"));
